package io.oxllm.routing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Passes immutable records over the local event bus by reference. The built-in codecs copy
 * (JsonObject deep-copies, Serializable round-trips through Java serialization) on every local
 * delivery; our messages are immutable records, so the copy would buy nothing. Local only: the
 * wire methods refuse.
 */
public final class LocalCodec<T> implements MessageCodec<T, T> {
  private final String name;

  private LocalCodec(Class<T> type) {
    this.name = "oxllm.local." + type.getSimpleName();
  }

  /** Registers the by-reference codec as the default for each message type (idempotent per Vertx). */
  public static synchronized void registerAll(Vertx vertx) {
    register(vertx, RouteAsk.class);
    register(vertx, AttemptOutcome.class);
  }

  private static <T> void register(Vertx vertx, Class<T> type) {
    try {
      vertx.eventBus().registerDefaultCodec(type, new LocalCodec<>(type));
    } catch (IllegalStateException alreadyRegistered) {
      // a second gateway in the same Vertx (tests) shares the codecs
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, T t) {
    throw new UnsupportedOperationException("oxllm messages are local only");
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException("oxllm messages are local only");
  }

  @Override
  public T transform(T t) {
    return t;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
