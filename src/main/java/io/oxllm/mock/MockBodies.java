package io.oxllm.mock;

import static io.oxllm.mock.BodySniffer.ascii;

import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * The response bytes for one (chunks, size) shape, computed once: per request only the head
 * ({@code {"id":…,"object":…,"created":…,"model":…,}}) and the token counts are spliced in, so
 * answering needs no JSON encoding. Every piece after the head is a tail starting at
 * {@code "choices"}; an SSE event is {@code "data: " + head + tail + "\n\n"} with "data: " in
 * the head and "\n\n" in the tail, written with one write().
 */
final class MockBodies {
  /** Assistant text is this sentence repeated (ASCII, nothing to escape) and cut to size. */
  static final String FILLER = "The quick brown fox jumps over the lazy dog. ";
  /** The fixed embedding: exact in float32, so its JSON and base64 forms agree. */
  static final float[] EMBEDDING = new float[16];
  static final byte[] DONE = ascii("data: [DONE]\n\n");
  /** error-first's event, exactly as the benchmark and k6 scripts expect it. */
  static final byte[] ERROR_EVENT = ascii("data: {\"error\":{\"message\":\"mock overloaded\",\"type\":\"server_error\"}}\n\n");
  static final byte[] ERROR_BODY = ascii("{\"error\":{\"message\":\"mock overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
  static final byte[] MODELS = ascii("{\"object\":\"list\",\"data\":[{\"id\":\"mock\",\"object\":\"model\","
      + "\"created\":1700000000,\"owned_by\":\"oxllm-mock\"}]}");
  static final byte[] EMBEDDING_FLOATS;
  static final byte[] EMBEDDING_BASE64;

  static {
    StringBuilder json = new StringBuilder("[");
    ByteBuffer le = ByteBuffer.allocate(EMBEDDING.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < EMBEDDING.length; i++) {
      EMBEDDING[i] = (i % 2 == 0 ? 1 : -1) * (i + 1) / 32f;
      json.append(i == 0 ? "" : ",").append(EMBEDDING[i]);
      le.putFloat(EMBEDDING[i]); // OpenAI's base64 embeddings are little-endian float32
    }
    EMBEDDING_FLOATS = ascii(json.append(']').toString());
    EMBEDDING_BASE64 = ascii('"' + Base64.getEncoder().encodeToString(le.array()) + '"');
  }

  /** The tails of one response kind (chat or text completion). */
  static final class Shape {
    final byte[][] content;      // one per content chunk
    final byte[][] contentUsage; // the same with "usage":null, sent when include_usage is asked
    final byte[] stop;
    final byte[] stopUsage;
    /** Non-stream tail up to the prompt_tokens value. */
    final byte[] full;

    private Shape(String[] pieces, String text, boolean chat) {
      content = new byte[pieces.length][];
      contentUsage = new byte[pieces.length][];
      for (int i = 0; i < pieces.length; i++) {
        String choice = chat
            ? "{\"index\":0,\"delta\":{" + (i == 0 ? "\"role\":\"assistant\"," : "") + "\"content\":\"" + pieces[i]
                + "\"},\"logprobs\":null,\"finish_reason\":null}"
            : "{\"text\":\"" + pieces[i] + "\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}";
        content[i] = ascii("\"choices\":[" + choice + "]}\n\n");
        contentUsage[i] = ascii("\"choices\":[" + choice + "],\"usage\":null}\n\n");
      }
      String stopChoice = chat ? "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}"
          : "{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}";
      stop = ascii("\"choices\":[" + stopChoice + "]}\n\n");
      stopUsage = ascii("\"choices\":[" + stopChoice + "],\"usage\":null}\n\n");
      String fullChoice = chat
          ? "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + text
              + "\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}"
          : "{\"text\":\"" + text + "\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}";
      full = ascii("\"choices\":[" + fullChoice + "],\"usage\":{\"prompt_tokens\":");
    }

    long bytes() {
      long n = stop.length + stopUsage.length + full.length;
      for (int i = 0; i < content.length; i++) {
        n += content[i].length + contentUsage[i].length + 32; // and each array's own header
      }
      return n;
    }
  }

  static final byte[] USAGE_ONLY = ascii("\"choices\":[],\"usage\":{\"prompt_tokens\":");
  private static final byte[] TOTAL = ascii(",\"total_tokens\":");

  final int chunks;
  final int size;
  final Shape chat;
  final Shape text;
  /** {@code ,"completion_tokens":N,"total_tokens":} — the prompt count comes before, the total after. */
  final byte[] completionMid;
  final int completionTokens;

  MockBodies(int chunks, int size) {
    this.chunks = chunks;
    this.size = size;
    StringBuilder sb = new StringBuilder(size + FILLER.length());
    while (sb.length() < size) {
      sb.append(FILLER);
    }
    String all = sb.substring(0, size);
    // size bytes over chunks pieces: the first (size % chunks) pieces get one byte more
    String[] pieces = new String[chunks];
    int base = size / chunks;
    int extra = size % chunks;
    for (int i = 0, at = 0; i < chunks; i++) {
      int n = base + (i < extra ? 1 : 0);
      pieces[i] = all.substring(at, at + n);
      at += n;
    }
    chat = new Shape(pieces, all, true);
    text = new Shape(pieces, all, false);
    completionTokens = (size + 3) / 4; // about four bytes per token, like English text
    completionMid = ascii(",\"completion_tokens\":" + completionTokens + ",\"total_tokens\":");
  }

  /** The bytes it holds (its arrays' lengths): what caching it costs. */
  long bytes() {
    return chat.bytes() + text.bytes() + completionMid.length;
  }

  Shape shape(boolean chatKind) {
    return chatKind ? chat : text;
  }

  /** The whole non-stream body: head + tail + usage numbers. */
  Buffer nonStream(Buffer head, boolean chatKind, int promptTokens) {
    byte[] full = shape(chatKind).full;
    return usage(Buffer.buffer(head.length() + full.length + 48).appendBuffer(head).appendBytes(full),
        promptTokens).appendString("}}");
  }

  /** The usage-only stream event (choices empty), as OpenAI sends it when include_usage is asked. */
  Buffer usageEvent(Buffer head, int promptTokens) {
    return usage(Buffer.buffer(head.length() + USAGE_ONLY.length + 48).appendBuffer(head).appendBytes(USAGE_ONLY),
        promptTokens).appendString("}}\n\n");
  }

  private Buffer usage(Buffer b, int promptTokens) {
    return b.appendString(Integer.toString(promptTokens)).appendBytes(completionMid)
        .appendString(Integer.toString(promptTokens + completionTokens));
  }

  /** An embeddings body: one fixed vector, as floats or base64. */
  static Buffer embeddings(byte[] model, boolean base64, int promptTokens) {
    byte[] vector = base64 ? EMBEDDING_BASE64 : EMBEDDING_FLOATS;
    String tokens = Integer.toString(promptTokens);
    return Buffer.buffer(vector.length + 200)
        .appendString("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":")
        .appendBytes(vector).appendString("}],\"model\":\"").appendBytes(model)
        .appendString("\",\"usage\":{\"prompt_tokens\":").appendString(tokens)
        .appendBytes(TOTAL).appendString(tokens).appendString("}}");
  }
}
