package io.oxllm.upstream;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.oxllm.config.ProviderConfig;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import java.net.ConnectException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/**
 * Why an attempt ended without a whole answer, named where it happens: {@code type} is one of a
 * few fixed names, an attempt span's {@code error.type} (low cardinality, as the semantic
 * conventions ask); {@code text} says it for people, in the request log and the 502 message,
 * with the configured milliseconds and the transport's own words.
 */
public record AttemptError(String type, String text) {
  public static final AttemptError CLIENT_CLOSED = new AttemptError("client_closed", "client closed");
  public static final AttemptError SHUTTING_DOWN = new AttemptError("shutting_down", "the gateway is shutting down");
  public static final AttemptError INTERNAL = new AttemptError("internal_error", "internal error");
  /** An attempt still open when its request's record was made (a drain cut short, a bug). */
  public static final AttemptError UNFINISHED = new AttemptError("unfinished", "unfinished");
  public static final AttemptError NO_FIRST_EVENT =
      new AttemptError("no_first_event", "the stream ended before its first event");
  public static final AttemptError ENDED_INSIDE_EVENT =
      new AttemptError("stream_interrupted", "the upstream ended the stream inside an event");
  public static final AttemptError ENDED_UNFINISHED =
      new AttemptError("stream_interrupted", "the upstream ended the stream without a finish_reason or [DONE]");
  /** A stream of {@code n} choices that ended without [DONE] when only {@code finished} had finished. */
  public static AttemptError choicesUnfinished(int finished, int n) {
    return new AttemptError("stream_interrupted",
        "the upstream ended the stream without [DONE] when " + finished + " of " + n + " choices had finished");
  }

  /** The {@code type} of a failure no name here fits (the conventions' fallback). */
  public static final String OTHER = "_OTHER";

  public static AttemptError firstByteTimeout(long ms) {
    return new AttemptError("first_byte_timeout", "no first byte within " + ms + " ms");
  }

  /**
   * A stream's head came, then no complete event within first_byte_ms (the SPEC's first byte of a
   * stream): "no first byte" was false, and a provider that sends keep-alive comments while it
   * queues a request (OpenRouter's {@code : OPENROUTER PROCESSING}) looked dead.
   */
  public static AttemptError firstEventTimeout(long ms) {
    return new AttemptError("first_byte_timeout", "no first SSE event within " + ms
        + " ms (the response head came; comments and unfinished events do not count)");
  }

  /** A body to a stream request (not SSE, so held to its end) whose head came, but not its end, within first_byte_ms. */
  public static AttemptError wholeBodyTimeout(long ms) {
    return new AttemptError("first_byte_timeout", "no whole answer within " + ms
        + " ms (the response head came; a body that is not SSE, to a stream request, is read to its end first)");
  }

  public static AttemptError idleTimeout(long ms) {
    return new AttemptError("idle_timeout", "no data for " + ms + " ms (idle timeout)");
  }

  public static AttemptError totalTimeout(long ms) {
    return new AttemptError("total_timeout", "total timeout after " + ms + " ms");
  }

  /** A first SSE event that reports an error, with its message ({@link UpstreamText}: no secret of {@code from}'s). */
  public static AttemptError errorEvent(String message, ProviderConfig from) {
    return new AttemptError("error_event", "error event: " + UpstreamText.of(message, from));
  }

  /** An error event after a stream's first, which went to the client as it came ({@link UpstreamText}). */
  public static AttemptError laterErrorEvent(String message, ProviderConfig from) {
    return new AttemptError("error_event", "error event in the stream: " + UpstreamText.of(message, from));
  }

  /** A 2xx body that is an error object, to a request that asked for a stream ({@link UpstreamText}). */
  public static AttemptError errorBody(String message, ProviderConfig from) {
    return new AttemptError("error_body", "error body to a stream request: " + UpstreamText.of(message, from));
  }

  /** A 2xx body that is an error object ({@code status} its status; {@link UpstreamText}). */
  public static AttemptError errorBody(int status, String message, ProviderConfig from) {
    return new AttemptError("error_body", "error body with status " + status + ": " + UpstreamText.of(message, from));
  }

  /**
   * A 1xx taken for the final answer: Vert.x skips only 100 and 103, so a 102 or a 104 ends the
   * exchange there, and a 101 switches to a protocol nobody asked for.
   */
  public static AttemptError interimStatus(int status) {
    return new AttemptError("interim_status", "status " + status + " as the answer (an interim status)");
  }

  /**
   * A response head the HTTP client could not parse, in the decoder's words ({@link UpstreamText}:
   * they may quote the upstream's bytes). Often the tail of the answer before it on the connection,
   * from a server that counted its Content-Length wrong.
   */
  public static AttemptError malformedResponse(Throwable err, ProviderConfig from) {
    return new AttemptError("malformed_response", "malformed response: " + UpstreamText.of(String.valueOf(err.getMessage()), from));
  }

  public static AttemptError noEventWithin(int bytes) {
    return new AttemptError("no_first_event", "no SSE event in the first " + bytes + " bytes");
  }

  /** A transport error, in a short phrase. */
  public static AttemptError transport(Throwable err) {
    if (err instanceof ConnectException || err.getCause() instanceof ConnectException) {
      String msg = String.valueOf(err.getMessage());
      // Netty's native message is "finishConnect(..) failed with error(-111): Connection refused: /h:p"
      return msg.contains("Connection refused") ? new AttemptError("connection_refused", "connection refused")
          : new AttemptError("connect_error", "connect error: " + msg);
    }
    if (err instanceof ConnectionPoolTooBusyException) {
      return new AttemptError("pool_full", "connection pool full");
    }
    if (err instanceof TooLongHttpHeaderException) {
      return new AttemptError("response_head_too_large",
          "response head over " + UpstreamClients.MAX_HEAD_BYTES / 1024 + " KB");
    }
    if (err instanceof TimeoutException) {
      String msg = String.valueOf(err.getMessage());
      // Vert.x: "The timeout of 500 ms has been exceeded when getting a connection to host:port"
      return isPoolWait(err) ? new AttemptError("pool_timeout", "no pooled connection free within connect_ms: " + msg)
          : new AttemptError("connect_timeout", "connect timeout: " + msg);
    }
    if (err instanceof javax.net.ssl.SSLException) {
      return new AttemptError("tls_error", "TLS handshake failed: " + tlsCause(err));
    }
    String msg = err.getMessage();
    String name = err.getClass().getSimpleName();
    if (err instanceof IllegalArgumentException) {
      // Vert.x refusing a header or URL it was given quotes it, and a header may carry a key
      return new AttemptError(OTHER, name + ": the HTTP client refused the request's URL or a header (not quoted here)");
    }
    if (msg == null || msg.isEmpty()) {
      return new AttemptError(OTHER, name);
    }
    msg = withoutNativeCall(msg);
    String lower = msg.toLowerCase(Locale.ROOT);
    if (lower.contains("connection reset")) {
      return new AttemptError("connection_reset", "connection reset by peer");
    }
    if (lower.contains("closed") || lower.contains("broken pipe")) {
      return new AttemptError("connection_reset", "connection reset: " + msg);
    }
    return new AttemptError(OTHER, name + ": " + msg);
  }

  /**
   * Why a TLS handshake failed, in the words of the deepest cause that has any: Vert.x's own
   * message is "Failed to create SSL connection" for an untrusted certificate, a name that does not
   * match, a plain HTTP server and a server that never answered alike (an audit).
   */
  private static String tlsCause(Throwable err) {
    String why = String.valueOf(err.getMessage());
    for (Throwable t = err.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        why = t.getMessage();
      }
    }
    return why.length() <= 200 ? why : why.substring(0, 200);
  }

  /**
   * Netty's native transport names the system call that failed: "recvAddress(..) failed with
   * error(-104): Connection reset by peer". The client and the log get the reason, not the call.
   */
  static String withoutNativeCall(String msg) {
    int at = msg.indexOf(") failed with error(");
    int colon = at < 0 ? -1 : msg.indexOf("): ", at + 20);
    return colon < 0 ? msg : msg.substring(colon + 3);
  }

  /** Vert.x's pool waited past connect_ms for a free connection. */
  static boolean isPoolWait(Throwable err) {
    return err instanceof TimeoutException && String.valueOf(err.getMessage()).contains("getting a connection");
  }
}
