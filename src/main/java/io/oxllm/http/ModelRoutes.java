package io.oxllm.http;

import io.oxllm.config.GatewayConfig;
import io.oxllm.config.ModelNames;
import io.oxllm.routing.GatewayState;
import io.oxllm.routing.RouteTable;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.RFC3986;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiConsumer;

/**
 * {@code GET /v1/models} and {@code GET /v1/models/{id}} (SPEC section 3), answered by the gateway
 * from the current config snapshot. One per router, so per HTTP instance.
 */
final class ModelRoutes {
  private final GatewayState state;
  private final BiConsumer<RoutingContext, ApiError> reject;
  private GatewayConfig modelsFor;
  private RouteTable models;

  /** @param reject answers a refusal and records it (ApiRouter's) */
  ModelRoutes(GatewayState state, BiConsumer<RoutingContext, ApiError> reject) {
    this.state = state;
    this.reject = reject;
  }

  /** {@code GET /v1/models}. */
  void list(RoutingContext ctx) {
    answerHere(ctx, routeTable().modelsJson());
  }

  /** The model list of the current snapshot, built once per snapshot on this instance. */
  private RouteTable routeTable() {
    GatewayConfig cfg = state.config();
    if (cfg != modelsFor) {
      models = RouteTable.build(cfg);
      modelsFor = cfg;
    }
    return models;
  }

  /**
   * One model by id, as the SDKs' {@code models.retrieve} asks. The id is the rest of the path as
   * sent, percent-decoded (it may hold slashes, even two in a row: vertx-web's normalised path
   * would fold them and name another model than a request with that name would reach).
   */
  void one(RoutingContext ctx) {
    String id = modelId(ctx.request().path());
    // a name a request could give: no control character, no broken UTF-8 (decoded as U+FFFD), not too long
    boolean named = id != null && !id.isEmpty() && !ModelNames.hasControlCharacter(id) && id.indexOf('\uFFFD') < 0
        && !ModelNames.tooLongForARequest(id);
    Buffer json = named ? routeTable().modelJson(id) : null;
    if (json == null) {
      reject.accept(ctx, ApiError.modelNotFound(String.valueOf(id)));
      return;
    }
    answerHere(ctx, json);
  }

  /** The gateway's own 200 to a {@code /v1/} request, recorded like every request (SPEC section 7). */
  private void answerHere(RoutingContext ctx, Buffer body) {
    ApiRouter.json(ctx, 200, body);
    RequestTrace.answeredHere(state.telemetry(), ctx.get(ApiRouter.REQUEST_ID), ctx.request(), 200, BodySilence.startEpochNanos(ctx));
  }

  private static String modelId(String path) {
    int at = path.indexOf("/models/");
    try {
      return at < 0 ? null : RFC3986.decodeURIComponent(path.substring(at + 8), false);
    } catch (IllegalArgumentException e) {
      return null; // a broken escape names no model
    }
  }
}
