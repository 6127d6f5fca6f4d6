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
