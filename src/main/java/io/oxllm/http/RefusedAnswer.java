package io.oxllm.http;

import io.oxllm.config.ProviderConfig;
import io.oxllm.sse.ErrorText;
import io.oxllm.upstream.AttemptError;
import io.oxllm.upstream.UpstreamAttempt;
import io.oxllm.upstream.UpstreamText;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An upstream answer the gateway does not relay (a status in {@code retry_on}, a redirect), and
 * what its body said. Its first {@link #KEPT} bytes are kept: the upstream's own message goes into
 * the attempt's record, so the 502's list of attempts, the request log and the span say "status
 * 429: You exceeded your current quota" where they said "status 429" (an SDK audit: an
 * out-of-credit error reached the client as "rate limited, retry after 30 s", its text gone).
 *
 * <p>The failover does not wait for a body that comes slowly: the answer is judged at the body's
 * end, once {@link #KEPT} bytes are in, or {@link #WAIT_MS} ms after the head, whichever is first.
 * A server's error body follows its head at once, though often in a read of its own (Python's
 * http.server writes the two apart), so the turn of the event loop after the head was too soon.
 * A body that has ended leaves its connection to the pool; one still coming when judged is not
 * drained: its connection is reset, since one that trickled or never ended held a pooled
 * connection for seconds, and the next attempt on that provider found none free (an audit).
 */
final class RefusedAnswer {
  /** The most of a refused body kept to be read. */
  static final int KEPT = 4096;
  /** The longest a failover waits for the body after the head. */
  static final long WAIT_MS = 50;
  private static final AttemptError UNREAD =
      new AttemptError("refused_body", "a refused answer's body, not read to its end");
  /** An error's message in JSON cut short: the part of it that came. */
  private static final Pattern MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)");
  private final Vertx vertx;
  private final UpstreamAttempt attempt;
  private final Consumer<RefusedAnswer> then;
  private final int status;
  private final boolean readable;
  private final long timer;
  private Buffer kept;
  private boolean ended;
  private boolean judged;
  private String text;
  private boolean quota;

  private RefusedAnswer(Vertx vertx, HttpClientResponse upstream, UpstreamAttempt attempt,
      Consumer<RefusedAnswer> then) {
    this.vertx = vertx;
    this.attempt = attempt;
    this.then = then;
    this.status = upstream.statusCode();
    String encoding = upstream.getHeader(HttpHeaders.CONTENT_ENCODING);
    this.readable = encoding == null || encoding.equalsIgnoreCase("identity");
    this.timer = vertx.setTimer(WAIT_MS, id -> judge());
  }

  /**
   * Reads {@code upstream} (in the callback that delivered it) and tells {@code then}, once, what
   * it said; the attempt ends with the body (or its reset), so its deadline timer goes.
   */
  static void read(Vertx vertx, HttpClientResponse upstream, UpstreamAttempt attempt, Consumer<RefusedAnswer> then) {
    RefusedAnswer answer = new RefusedAnswer(vertx, upstream, attempt, then);
    upstream.handler(answer::keep).exceptionHandler(e -> attempt.finish()).endHandler(v -> {
      answer.ended = true;
      attempt.finish();
      answer.judge();
    });
  }

  int status() {
    return status;
  }

  /**
   * What the attempt's record says of it: the status, and the upstream's message when its body
   * had one ({@link UpstreamText}: cut, and without the provider's secrets).
   */
  AttemptError error() {
    return new AttemptError(Integer.toString(status),
        text == null || text.isEmpty() ? "status " + status : "status " + status + ": " + text);
  }

  /**
   * A 429 that says the account is out of credit ({@code insufficient_quota}, OpenAI's code and
   * type for it): waiting does not end it, so the client is not told to retry after a while.
   */
  boolean outOfQuota() {
    return quota;
  }

  private void keep(Buffer chunk) {
    if (!readable || judged) {
      return;
    }
    if (kept == null) {
      kept = Buffer.buffer(Math.min(KEPT, chunk.length()));
    }
    int room = KEPT - kept.length();
    if (room > 0) {
      kept.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
    }
    if (kept.length() >= KEPT) {
      judge(); // all that is read of it is in
    }
  }

  private void judge() {
    if (judged) {
      return;
    }
    judged = true;
    vertx.cancelTimer(timer);
    if (!ended) {
      attempt.abort(UNREAD); // resets the request, closing its connection
    }
    if (kept != null) {
      readBody(kept, attempt.target().provider());
      kept = null;
    }
    then.accept(this);
  }

  /** An OpenAI-shaped error's message and code; else the body's first line, if it is text. */
  private void readBody(Buffer body, ProviderConfig provider) {
    if (ErrorBody.mayBeOne(body)) {
      JsonObject json = ErrorBody.object(List.of(body));
      if (json == null) { // cut (at KEPT, or still coming when judged): the part of its message that came
        Matcher m = MESSAGE.matcher(body.toString(StandardCharsets.UTF_8));
        text = m.find() ? UpstreamText.of(unescaped(m.group(1)), provider) : null;
        return;
      }
      Object error = json.getValue("error");
      if (error instanceof JsonObject e) {
        quota = "insufficient_quota".equals(e.getValue("code")) || "insufficient_quota".equals(e.getValue("type"));
        Object code = e.getValue("code");
        String message = ErrorText.of(e);
        text = UpstreamText.of(code instanceof String c && !message.contains(c) ? message + " (" + c + ")" : message,
            provider);
      } else if (error != null) {
        text = UpstreamText.of(ErrorText.of(error), provider);
      }
      return;
    }
    String s = body.toString(StandardCharsets.UTF_8).strip(); // blank lines before it say nothing
    int end = 0;
    while (end < s.length() && s.charAt(end) != '\n' && s.charAt(end) != '\r') {
      end++;
    }
    String line = s.substring(0, end).strip();
    // an HTML page says nothing in its first line worth repeating
    text = line.startsWith("<") ? null : UpstreamText.of(line, provider);
  }

  /** A JSON string's text without its escapes, as far as they are whole. */
  private static String unescaped(String jsonText) {
    for (String s = jsonText; !s.isEmpty(); s = s.substring(0, s.length() - 1)) {
      try {
        return (String) Json.decodeValue("\"" + s + "\"");
      } catch (RuntimeException cutInsideAnEscape) {
        // one character less, until the escapes are whole (at most a \\uXXXX's six)
        if (jsonText.length() - s.length() >= 6) {
          break;
        }
      }
    }
    return jsonText;
  }
}
