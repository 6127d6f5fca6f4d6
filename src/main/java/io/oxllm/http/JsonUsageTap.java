package io.oxllm.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Token usage and response model of a non-stream JSON answer, without buffering or parsing the
 * body: OpenAI-style answers put {@code "model"} near the start and {@code "usage"} near the end,
 * so the tap keeps copies of only the first {@link #HEAD} and the last {@link #TAIL} bytes and reads
 * those two fields once at the end (usage from the head when the tail has none: some servers put
 * it first; the model from the tail when the head has none: some put their keys in alphabetical
 * order). A body whose usage is in neither reports -1 (unknown); one whose usage is followed by
 * more than {@link #TAIL} bytes (vLLM's {@code prompt_logprobs}, when asked for) too.
 *
 * <p>A body that comes as one chunk (most answers: a few hundred bytes) is read where it lies,
 * in the chunk's own array, copying nothing: its two copies were 0.7 to 1.0 KB a request, about
 * 5 % of all the gateway allocates for a non-stream chat (GC logs, 300 000 requests). A chunk the
 * HTTP client delivered is never written to again (Vert.x copies each read into a fresh heap
 * buffer, whose release does nothing), so it still holds the body at {@link #finish}. A second
 * chunk turns the view into copies of the first's kept bytes.
 */
final class JsonUsageTap {
  static final int HEAD = 1024;
  static final int TAIL = 4096;
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] MODEL = ascii("\"model\"");
  private static final byte[] FINISH_REASON = ascii("\"finish_reason\"");
  private static final byte[] USAGE = ascii("\"usage\"");

  private static final byte[] NONE = new byte[0];
  // sized to what arrives (capped at HEAD / TAIL): a typical answer is a few hundred bytes. While
  // only one chunk has come, head and tail are both that chunk's array, from its offset
  private byte[] head = NONE;
  private int headFrom;
  private int headEnd; // the end of the head's bytes in head (from headFrom)
  private byte[] tail = NONE;
  private int tailFrom;
  private int tailEnd;
  private boolean viewing; // head and tail are regions of the first chunk's array
  private boolean fed;
  private long inputTokens = -1;
  private long outputTokens = -1;
  private String model;
  private final List<String> finishReasons = new ArrayList<>(1);

  /** Sees one chunk (the first in place; of a later one, copies at most HEAD + TAIL bytes). */
  void feed(Buffer chunk) {
    if (!fed) {
      fed = true;
      if (view(chunk)) {
        return;
      }
    } else if (viewing) {
      own();
    }
    int n = chunk.length();
    if (headEnd < HEAD) {
      int take = Math.min(HEAD - headEnd, n);
      if (head.length < headEnd + take) {
        head = Arrays.copyOf(head, Math.min(HEAD, Math.max(2 * head.length, headEnd + take)));
      }
      chunk.getBytes(0, take, head, headEnd);
      headEnd += take;
    }
    if (n >= TAIL) {
      if (tail.length < TAIL) {
        tail = new byte[TAIL];
      }
      chunk.getBytes(n - TAIL, n, tail, 0);
      tailEnd = TAIL;
    } else {
      int keep = Math.min(tailEnd, TAIL - n);
      byte[] into = tail.length >= keep + n ? tail : new byte[Math.min(TAIL, Math.max(2 * tail.length, keep + n))];
      System.arraycopy(tail, tailEnd - keep, into, 0, keep);
      chunk.getBytes(0, n, into, keep);
      tail = into;
      tailEnd = keep + n;
    }
  }

  /** Keeps the first chunk as regions of its own array, when it has one; false when it has not. */
  private boolean view(Buffer chunk) {
    ByteBuf bb = chunk instanceof BufferInternal b ? b.getByteBuf() : null;
    if (bb == null || !bb.hasArray()) {
      return false;
    }
    int from = bb.arrayOffset() + bb.readerIndex();
    int n = bb.readableBytes();
    head = bb.array();
    tail = head;
    headFrom = from;
    headEnd = from + Math.min(HEAD, n);
    tailFrom = from + n - Math.min(TAIL, n);
    tailEnd = from + n;
    viewing = true;
    return true;
  }

  /** A second chunk came: the first's kept bytes are copied, as {@link #feed} would have. */
  private void own() {
    viewing = false;
    head = Arrays.copyOfRange(head, headFrom, headEnd);
    headEnd -= headFrom;
    headFrom = 0;
    tail = Arrays.copyOfRange(tail, tailFrom, tailEnd);
    tailEnd -= tailFrom;
    tailFrom = 0;
  }

  /** Reads model and usage from what was kept; call once, at the end of the body. */
  void finish() {
    // the top-level key, not one nested in a message (an audit: a "model" inside a choice was taken)
    int key = topLevelKey(head, headFrom, headEnd, MODEL);
    model = key < 0 ? null : stringAfter(head, headEnd, key);
    if (model == null) {
      // keys in alphabetical order (llama.cpp's server): "choices" first, "model" after them,
      // the last one in the tail (the tail's depth is unknown: nested ones come before)
      key = lastIndexOf(tail, tailEnd, MODEL, tailFrom);
      model = key < 0 ? null : stringAfter(tail, tailEnd, key);
    }
    // choices (and their finish_reason) come just before usage, so they are in the tail too
    for (int at = indexOf(tail, tailEnd, FINISH_REASON, tailFrom); at >= 0;
        at = indexOf(tail, tailEnd, FINISH_REASON, at + FINISH_REASON.length)) {
      String reason = stringAfter(tail, tailEnd, at);
      if (reason != null && !reason.isEmpty() && !finishReasons.contains(reason)) {
        finishReasons.add(reason);
      }
    }
    // most answers end with usage, the last one in the tail (one nested in a message comes
    // before it: an audit's 999 tokens); some put it first, before a long choices array
    if (!readUsage(tail, tailEnd, lastIndexOf(tail, tailEnd, USAGE, tailFrom))) {
      readUsage(head, headEnd, topLevelKey(head, headFrom, headEnd, USAGE));
    }
  }

  /** Reads the tokens of the "usage" object whose key is at buf[at] (-1: none); false when there is none. */
  private boolean readUsage(byte[] buf, int len, int at) {
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
    boolean escapes = false;
    while (i < len && buf[i] != '"') {
      if (buf[i] == '\\') {
        escapes = true;
        i++; // the escaped byte, a quote perhaps
      }
      i++;
    }
    if (i >= len) {
      return null;
    }
    if (!escapes) {
      return new String(buf, start, i - start, StandardCharsets.UTF_8);
    }
    // rare ("meta-llama\/Llama-3", Python's ensure_ascii "\u00fc"): decoded, where it was left out
    try {
      return Json.decodeValue(new String(buf, start - 1, i - start + 2, StandardCharsets.UTF_8)) instanceof String m ? m : null;
    } catch (RuntimeException notAString) {
      return null;
    }
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

  /** The last place {@code needle} starts in buf[from, len), or -1. */
  private static int lastIndexOf(byte[] buf, int len, byte[] needle, int from) {
    int last = -1;
    for (int at = indexOf(buf, len, needle, from); at >= 0; at = indexOf(buf, len, needle, at + needle.length)) {
      last = at;
    }
    return last;
  }

  /**
   * Where the key {@code needle} of the top-level object starts in buf[from, len), the body's first
   * bytes, or -1: strings skipped, depth counted, and a match taken only when a colon follows it.
   */
  private static int topLevelKey(byte[] buf, int from, int len, byte[] needle) {
    int depth = 0;
    for (int i = from; i < len; i++) {
      byte b = buf[i];
      if (b == '{' || b == '[') {
        depth++;
      } else if (b == '}' || b == ']') {
        depth--;
      } else if (b == '"') {
        if (depth <= 1 && isKey(buf, len, needle, i)) { // 0: a key before any brace (nothing nests there)
          return i;
        }
        for (i++; i < len && buf[i] != '"'; i++) { // to the string's end
          if (buf[i] == '\\') {
            i++;
          }
        }
      }
    }
    return -1;
  }

  private static boolean isKey(byte[] buf, int len, byte[] needle, int at) {
    if (at + needle.length > len || !Arrays.equals(buf, at, at + needle.length, needle, 0, needle.length)) {
      return false;
    }
    int i = at + needle.length;
    while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')) {
      i++;
    }
    return i < len && buf[i] == ':';
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
