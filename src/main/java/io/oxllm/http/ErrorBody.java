package io.oxllm.http;

import io.oxllm.sse.ErrorText;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Whether a whole upstream body is an error object ({@code {"error":…}}), and its message. */
final class ErrorBody {
  private ErrorBody() {}

  /** The error's message when {@code chunks} are a JSON object with a non-null {@code error}, else null. */
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
    return ErrorText.of(error); // cut, and cleaned of secrets, by upstream.UpstreamText
  }
}
