package io.oxllm.upstream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The built-in {@code echo} provider (SPEC section 3) as pure logic: given a parsed OpenAI request
 * body it produces the exact bytes an OpenAI server would answer with. No I/O; the gateway writes
 * the {@link Reply} chunks in order. Each endpoint has a class of its own ({@link EchoChat},
 * {@link EchoCompletions}, {@link EchoEmbeddings}); this one picks it and holds what they share:
 * the reply, the stream's framing, the errors and the words (the token count, the stream's pieces).
 *
 * <p>Choices made where OpenAI leaves room:
 * <ul>
 *   <li>Words are maximal runs of non-whitespace ({@link Character#isWhitespace}); one token per
 *       word. A streamed piece is a word plus the whitespace that really follows it, so the deltas
 *       concatenate to the reply text exactly even when the user text holds newlines or runs of
 *       spaces (for ordinary text that is "word + one space", none after the last word); a reply
 *       of more than {@link #MAX_STREAM_PIECES} words streams several words a piece.</li>
 *   <li>Stream chunks carry {@code "usage":null} only when {@code stream_options.include_usage} is
 *       true, and the usage-only chunk ({@code "choices":[]}) is sent only then, as OpenAI does.</li>
 *   <li>Chat's messages and content parts: see {@link EchoChat}; completions' prompt arrays: see
 *       {@link EchoCompletions}.</li>
 *   <li>Embeddings: see {@link EchoEmbeddings}; {@code dimensions} is ignored.</li>
 *   <li>Errors use OpenAI's codes: {@code missing_required_parameter}, {@code invalid_type},
 *       {@code invalid_value}; an unknown path is 404 with code {@code unknown_url}. A bug that
 *       throws is turned into a 500 {@code server_error} reply rather than escaping.</li>
 * </ul>
 */
public final class EchoResponses {
  public static final String JSON_TYPE = "application/json";
  public static final String SSE_TYPE = "text/event-stream";
  /** Length of every echo embedding vector. */
  public static final int EMBEDDING_DIMENSIONS = EchoEmbeddings.DIMENSIONS;
  public static final String PREFIX = "echo: ";

  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

  /**
   * A complete echo answer: HTTP status, content type, and the body as a list of chunks to write
   * in order (one chunk for non-stream; for streams one chunk per SSE event, each
   * {@code "data: ...\n\n"}, ending with {@code "data: [DONE]\n\n"}). {@code usageChunk} is the
   * index of a stream's usage-only chunk, or -1: the gateway drops it for a client that did not
   * ask for usage when it asked the echo for it itself.
   */
  public record Reply(int status, String contentType, List<Buffer> chunks, int usageChunk) {
    public Reply {
      chunks = List.copyOf(chunks);
    }

    public Reply(int status, String contentType, List<Buffer> chunks) {
      this(status, contentType, chunks, -1);
    }

    /** The whole body in one buffer (a copy). */
    public Buffer body() {
      Buffer all = Buffer.buffer();
      chunks.forEach(all::appendBuffer);
      return all;
    }

    public boolean streaming() {
      return SSE_TYPE.equals(contentType);
    }
  }

  private EchoResponses() {}

  /**
   * Answers one request. {@code path} is the OpenAI path after /v1 ({@code "/chat/completions"},
   * {@code "/completions"} or {@code "/embeddings"}); {@code model} is the model name to report;
   * {@code requestId} builds ids ({@code "chatcmpl-echo-<requestId>"}); {@code createdEpochSecs}
   * fills "created"; {@code body} is the client's JSON object. Never throws.
   */
  public static Reply answer(
      String path, JsonObject body, String model, String requestId, long createdEpochSecs) {
    JsonObject b = body == null ? new JsonObject() : body;
    try {
      String p = path == null ? "" : path;
      return switch (p) {
        case "/chat/completions" -> EchoChat.answer(b, model, requestId, createdEpochSecs);
        case "/completions" -> EchoCompletions.answer(b, model, requestId, createdEpochSecs);
        case "/embeddings" -> EchoEmbeddings.answer(b, model);
        default -> error(404, "Invalid URL (POST /v1" + p + ")", null, "unknown_url");
      };
    } catch (RuntimeException e) {
      // Belt and braces: the gateway must always get a reply, never a stuck request.
      JsonObject err = new JsonObject().put("message", "echo provider failed: " + e)
          .put("type", "server_error").putNull("param").putNull("code");
      return json(500, new JsonObject().put("error", err));
    }
  }

  // ---- what the endpoints share -----------------------------------------------------------

  static boolean isStream(JsonObject body) {
    return Boolean.TRUE.equals(body.getValue("stream"));
  }

  static boolean includeUsage(JsonObject body) {
    return body.getValue("stream_options") instanceof JsonObject so
        && Boolean.TRUE.equals(so.getValue("include_usage"));
  }

  static JsonObject head(String id, String object, long created, String model) {
    return new JsonObject().put("id", id).put("object", object).put("created", created)
        .put("model", model);
  }

  static JsonObject usage(int prompt, int completion) {
    return new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", completion)
        .put("total_tokens", prompt + completion);
  }

  /** Finishes a stream: the optional usage-only chunk, then [DONE]. */
  static Reply stream(List<Buffer> out, boolean withUsage, JsonObject usageHead,
      JsonObject usage) {
    int usageChunk = -1;
    if (withUsage) {
      usageChunk = out.size();
      out.add(event(usageHead.put("choices", new JsonArray()).put("usage", usage)));
    }
    out.add(DONE.copy());
    return new Reply(200, SSE_TYPE, out, usageChunk);
  }

  static Buffer event(JsonObject json) {
    // Jackson escapes control characters, so the JSON is always a single SSE data line.
    return Buffer.buffer("data: " + json.encode() + "\n\n");
  }

  static Reply json(int status, JsonObject json) {
    return new Reply(status, JSON_TYPE, List.of(json.toBuffer()));
  }

  static Reply error(int status, String message, String param, String code) {
    JsonObject err = new JsonObject().put("message", message).put("type", "invalid_request_error")
        .put("param", param).put("code", code);
    return json(status, new JsonObject().put("error", err));
  }

  static Reply missing(String param) {
    return error(400, "Missing required parameter: '" + param + "'.", param,
        "missing_required_parameter");
  }

  static Reply wrongType(String param, String expected, Object got) {
    return error(400, "Invalid type for '" + param + "': expected " + expected + ", but got "
        + typeName(got) + " instead.", param, "invalid_type");
  }

  static String typeName(Object v) {
    return v instanceof String ? "a string" : v instanceof Boolean ? "a boolean"
        : v instanceof Number ? "a number" : v instanceof JsonArray ? "an array"
        : v instanceof JsonObject ? "an object" : "null";
  }

  /** Number of whitespace-separated words: the echo provider's token count. */
  static int countWords(String text) {
    int words = 0;
    boolean inWord = false;
    for (int i = 0; i < text.length(); i++) {
      boolean ws = Character.isWhitespace(text.charAt(i));
      if (!ws && !inWord) {
        words++;
      }
      inWord = !ws;
    }
    return words;
  }

  /**
   * At most this many content events in an echo stream: a longer reply puts several words in
   * each. One event a word made a stream ~100 times its text (a 1 MB message of one-letter words:
   * 500,000 events of ~200 bytes, built at once), and one such request ended a 256 MB gateway.
   */
  static final int MAX_STREAM_PIECES = 1000;

  /**
   * Splits text into stream pieces, one per word (or per run of words, past
   * {@link #MAX_STREAM_PIECES}), each with the whitespace that follows it; leading whitespace rides
   * on the first piece. The pieces concatenate to the text exactly.
   */
  static List<String> pieces(String text) {
    int wordsPerPiece = Math.max(1, (countWords(text) + MAX_STREAM_PIECES - 1) / MAX_STREAM_PIECES);
    List<String> out = new ArrayList<>();
    int start = 0, i = 0, n = text.length(), words = 0;
    while (i < n && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    while (i < n) {
      while (i < n && !Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      while (i < n && Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      if (++words % wordsPerPiece == 0 || i == n) {
        out.add(text.substring(start, i));
        start = i;
      }
    }
    if (start < n) {
      out.add(text.substring(start)); // whitespace only: still reproduce it
    }
    return out;
  }
}
