package io.oxllm.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Token usage and response model of a non-stream JSON answer, without buffering or parsing the
 * body: OpenAI-style answers put {@code "model"} near the start and {@code "usage"} near the end,
 * so the tap keeps copies of only the first {@link #HEAD} and the last {@link #TAIL} bytes and reads
 * those two fields once at the end (usage from the head when the tail has none: some servers put
 * it first; the model from the tail when the head has none: some put their keys in alphabetical
 * order). A body whose usage is in neither reports -1 (unknown); one whose usage is followed by
 * more than {@link #TAIL} bytes (vLLM's {@code prompt_logprobs}, when asked for) too.
 */
final class JsonUsageTap {
  static final int HEAD = 1024;
  static final int TAIL = 4096;
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] MODEL = ascii("\"model\"");
  private static final byte[] FINISH_REASON = ascii("\"finish_reason\"");
  private static final byte[] USAGE = ascii("\"usage\"");

  // sized to what arrives (capped at HEAD / TAIL): a typical answer is a few hundred bytes
  private byte[] head = new byte[0];
  private int headLen;
  private byte[] tail = new byte[0];
  private int tailLen;
  private long inputTokens = -1;
  private long outputTokens = -1;
  private String model;
  private final List<String> finishReasons = new ArrayList<>(1);

  /** Sees one chunk (copies at most HEAD + TAIL bytes of it). */
  void feed(Buffer chunk) {
    int n = chunk.length();
    if (headLen < HEAD) {
      int take = Math.min(HEAD - headLen, n);
      if (head.length < headLen + take) {
        head = java.util.Arrays.copyOf(head, Math.min(HEAD, Math.max(2 * head.length, headLen + take)));
      }
      chunk.getBytes(0, take, head, headLen);
      headLen += take;
    }
    if (n >= TAIL) {
      if (tail.length < TAIL) {
        tail = new byte[TAIL];
      }
      chunk.getBytes(n - TAIL, n, tail, 0);
      tailLen = TAIL;
    } else {
      int keep = Math.min(tailLen, TAIL - n);
      byte[] into = tail.length >= keep + n ? tail : new byte[Math.min(TAIL, Math.max(2 * tail.length, keep + n))];
      System.arraycopy(tail, tailLen - keep, into, 0, keep);
      chunk.getBytes(0, n, into, keep);
      tail = into;
      tailLen = keep + n;
    }
  }

  /** Reads model and usage from what was kept; call once, at the end of the body. */
  void finish() {
    model = stringAfter(head, headLen, MODEL);
    if (model == null) {
      // keys in alphabetical order (llama.cpp's server): "choices" first, "model" after them
      model = stringAfter(tail, tailLen, MODEL);
    }
    // choices (and their finish_reason) come just before usage, so they are in the tail too
    for (int at = indexOf(tail, tailLen, FINISH_REASON, 0); at >= 0;
        at = indexOf(tail, tailLen, FINISH_REASON, at + FINISH_REASON.length)) {
      String reason = stringAfter(tail, tailLen, at);
      if (reason != null && !reason.isEmpty() && !finishReasons.contains(reason)) {
        finishReasons.add(reason);
      }
    }
    // most answers end with usage; some put it first, before a long choices array
    if (!readUsage(tail, tailLen)) {
      readUsage(head, headLen);
    }
  }

  /** Reads the tokens of the "usage" object in buf[0, len); false when there is none. */
  private boolean readUsage(byte[] buf, int len) {
    int at = indexOf(buf, len, USAGE, 0);
    int colon = at < 0 ? -1 : indexOf(buf, len, (byte) ':', at + USAGE.length);
    if (colon < 0) {
      return false;
    }
    // parse only the usage object: a parser started at its '{' is done at the matching '}'
    try (JsonParser p = JSON.createParser(buf, colon + 1, len - colon - 1)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (value == JsonToken.VALUE_NUMBER_INT && "prompt_tokens".equals(name)) {
          inputTokens = p.getLongValue();
        } else if (value == JsonToken.VALUE_NUMBER_INT && "completion_tokens".equals(name)) {
          outputTokens = p.getLongValue();
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException e) {
      // a truncated or odd usage object: the tokens stay unknown
    }
    return true;
  }

  long inputTokens() {
    return inputTokens;
  }

  long outputTokens() {
    return outputTokens;
  }

  /** Distinct finish_reason values found in the tail, in order. */
  List<String> finishReasons() {
    return finishReasons;
  }

  /** The answer's "model", when it is a string in the first HEAD or the last TAIL bytes; else null. */
  String model() {
    return model;
  }

  private static String stringAfter(byte[] buf, int len, byte[] key) {
    int at = indexOf(buf, len, key, 0);
    return at < 0 ? null : stringAfter(buf, len, at);
  }

  /** The string value of the key (quoted, with its quotes) starting at {@code at}, or null. */
  private static String stringAfter(byte[] buf, int len, int at) {
    int i = at + 1;
    while (i < len && buf[i] != '"') {
      i++;
    }
    i++;
    while (i < len && (buf[i] == ' ' || buf[i] == ':' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')) {
      i++;
    }
    if (i >= len || buf[i] != '"') {
      return null;
    }
    int start = ++i;
    while (i < len && buf[i] != '"' && buf[i] != '\\') {
      i++;
    }
    return i < len && buf[i] == '"' ? new String(buf, start, i - start, StandardCharsets.UTF_8) : null;
  }

  /**
   * Where {@code needle} (a quoted key: {@code "} then a letter) starts in buf[from, len), or -1.
   * Its second byte is tested first: in JSON a quote is common, a given letter after it is not.
   */
  private static int indexOf(byte[] buf, int len, byte[] needle, int from) {
    byte second = needle[1];
    outer:
    for (int i = from + 1, last = len - needle.length + 1; i <= last; i++) {
      if (buf[i] != second) {
        continue;
      }
      for (int k = 0; k < needle.length; k++) {
        if (buf[i - 1 + k] != needle[k]) {
          continue outer;
        }
      }
      return i - 1;
    }
    return -1;
  }

  private static int indexOf(byte[] buf, int len, byte b, int from) {
    for (int i = from; i < len; i++) {
      if (buf[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
