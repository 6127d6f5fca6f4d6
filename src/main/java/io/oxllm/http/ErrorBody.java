package io.oxllm.http;

import io.oxllm.sse.ErrorText;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Whether a whole upstream body is an error object ({@code {"error":…}}), and its message. */
final class ErrorBody {
  private static final int MAX_MESSAGE = 200;

  private ErrorBody() {}

  /** The error's message (at most 200 characters) when {@code chunks} are a JSON object with a non-null {@code error}, else null. */
  static String message(List<Buffer> chunks) {
    Buffer body = chunks.size() == 1 ? chunks.get(0) : Buffer.buffer();
    if (chunks.size() > 1) {
      chunks.forEach(body::appendBuffer);
    }
    Object error;
    try {
      error = new JsonObject(body).getValue("error");
    } catch (DecodeException | ClassCastException e) {
      return null; // not a JSON object: an answer of some kind, not ours to judge
    }
    if (error == null) {
      return null;
    }
    String text = ErrorText.of(error);
    if (text.length() <= MAX_MESSAGE) {
      return text;
    }
    int cut = Character.isHighSurrogate(text.charAt(MAX_MESSAGE - 1)) ? MAX_MESSAGE - 1 : MAX_MESSAGE; // a pair stays whole
    return text.substring(0, cut);
  }
}
