package io.oxllm.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import java.util.List;

/**
 * The attribute keys and instrument names oxllm emits: the GenAI semantic conventions (status
 * Development: {@code gen_ai.system} became {@code gen_ai.provider.name}) plus our own. Defined
 * here rather than taken from the semconv-incubating artifact, which is alpha and renames things.
 */
final class SemConv {
  static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
  static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
  static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
  static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
  static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
  static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
  static final AttributeKey<List<String>> FINISH_REASONS = AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
  static final AttributeKey<String> TOKEN_TYPE = AttributeKey.stringKey("gen_ai.token.type");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
  static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("oxllm.attempts");
  static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("oxllm.request_id");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("oxllm.outcome");
  static final AttributeKey<Boolean> STREAM = AttributeKey.booleanKey("oxllm.stream");

  static final String TOKEN_USAGE = "gen_ai.client.token.usage";
  static final String OPERATION_DURATION = "gen_ai.client.operation.duration";
  static final String TIME_TO_FIRST_TOKEN = "gen_ai.server.time_to_first_token";
  static final String PROVIDER_STATE = "oxllm.provider.state";
  static final String PROVIDER_OFFLINE = "oxllm.provider.offline";
  static final String PROVIDER_RATE_LIMITED = "oxllm.provider.rate_limited";
  static final String TELEMETRY_DROPPED = "oxllm.telemetry.dropped";
  static final String REQUEST_BODIES_HELD = "oxllm.request_bodies.held";
  static final String REQUEST_BODIES_LIMIT = "oxllm.request_bodies.limit";

  // the conventions' advisory bucket boundaries, so the histograms are useful at LLM scales
  static final List<Long> TOKEN_BUCKETS = List.of(1L, 4L, 16L, 64L, 256L, 1024L, 4096L, 16384L, 65536L,
      262144L, 1048576L, 4194304L, 16777216L, 67108864L);
  static final List<Double> DURATION_BUCKETS = List.of(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56,
      5.12, 10.24, 20.48, 40.96, 81.92);
  static final List<Double> TTFT_BUCKETS = List.of(0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25,
      0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  private SemConv() {}
}
