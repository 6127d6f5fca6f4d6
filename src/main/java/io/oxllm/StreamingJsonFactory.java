package io.oxllm;

import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.spi.JsonFactory;
import io.vertx.core.spi.json.JsonCodec;

/**
 * Vert.x's JSON codec for the whole process: Jackson's streaming codec. Without this, Vert.x picks
 * its databind codec whenever jackson-databind is on the class path (it is, for the TOML parser),
 * and its first JSON encode builds an ObjectMapper: ~330 classes loaded for the encodes of JsonObject
 * and JsonArray the streaming codec does by itself (docs/performance-history.md). Registered in
 * {@code META-INF/services/io.vertx.core.spi.JsonFactory}. What it gives up is POJO mapping
 * ({@code JsonObject.mapFrom}/{@code mapTo}), which the gateway does not use.
 */
public final class StreamingJsonFactory implements JsonFactory {
  private static final JsonCodec CODEC = new JacksonCodec();

  @Override
  public int order() {
    return 0; // before Vert.x's own factory, should another be on the class path
  }

  @Override
  public JsonCodec codec() {
    return CODEC;
  }
}
