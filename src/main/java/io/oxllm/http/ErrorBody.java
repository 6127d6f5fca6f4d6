package io.oxllm.http;

import io.oxllm.sse.ErrorText;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Whether a whole upstream body is an error object ({@code {"error":…}}), and its message. */
final class ErrorBody {
  private ErrorBody() {}

  private static final byte[] ERROR_KEY = {'"', 'e', 'r', 'r', 'o', 'r', '"'};

  /**
   * Whether a body's first chunk opens a JSON object whose first key is {@code error}, the shape of
   * OpenAI's errors: a few bytes read, so that every answer can be asked. Only such a body is held
   * to be read whole ({@link #message}).
   */
  static boolean mayBeOne(Buffer first) {
    int i = skipSpace(first, 0);
    if (i >= first.length() || first.getByte(i) != '{') {
      return false;
    }
    i = skipSpace(first, i + 1);
    if (i + ERROR_KEY.length > first.length()) {
      return false;
    }
    for (int k = 0; k < ERROR_KEY.length; k++) {
      if (first.getByte(i + k) != ERROR_KEY[k]) {
        return false;
      }
    }
    return true;
  }

  private static int skipSpace(Buffer b, int i) {
    for (int n = b.length(); i < n; i++) {
      byte c = b.getByte(i);
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        break;
      }
    }
    return i;
  }

  /** The error's message when {@code chunks} are a JSON object with a non-null {@code error}, else null. */
  static String message(List<Buffer> chunks) {
    return message(object(chunks));
  }

  /** The error's message when {@code body} (null: no JSON object) has a non-null {@code error}, else null. */
  static String message(JsonObject body) {
    Object error = body == null ? null : body.getValue("error");
    return ErrorText.present(error) ? ErrorText.of(error) : null; // cut, and cleaned of secrets, by upstream.UpstreamText
  }

  /** A whole body's chunks as the JSON object they are, or null: an answer of some kind, not ours to judge. */
  static JsonObject object(List<Buffer> chunks) {
    Buffer body = chunks.size() == 1 ? chunks.get(0) : Buffer.buffer();
    if (chunks.size() > 1) {
      chunks.forEach(body::appendBuffer);
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }
}
