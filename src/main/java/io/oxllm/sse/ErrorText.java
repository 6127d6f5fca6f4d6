package io.oxllm.sse;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What an upstream's {@code error} value says, for people: its {@code message} when it is an
 * object that has one, else the value itself. Read the same way from a first SSE event
 * ({@link EventFacts}) and from a whole body ({@code http.ErrorBody}).
 */
public final class ErrorText {
  private ErrorText() {}

  /**
   * Whether an {@code error} value says there was one: not null, {@code false}, a blank string nor
   * an empty object or array. Some servers put an empty error in every chunk; read as errors,
   * each of their answers counted against them (an audit).
   */
  public static boolean present(Object error) {
    if (error == null || Boolean.FALSE.equals(error)) {
      return false;
    }
    if (error instanceof String s) {
      return !s.isBlank();
    }
    if (error instanceof JsonObject o) {
      return !o.isEmpty();
    }
    return !(error instanceof JsonArray a) || !a.isEmpty();
  }

  /** The text of {@code error} (an {@code error} value: an object, a string, anything JSON). */
  public static String of(Object error) {
    if (error instanceof JsonObject object) {
      Object message = object.getValue("message");
      return message != null ? text(message) : object.encode();
    }
    return text(error);
  }

  // A string as it is; anything else as its JSON text.
  private static String text(Object v) {
    if (v instanceof JsonObject object) {
      return object.encode();
    }
    return v instanceof JsonArray list ? list.encode() : String.valueOf(v);
  }
}
