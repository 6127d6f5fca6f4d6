package io.oxllm.http;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Byte edits to a request body, applied in one pass: each replaces raw[start, end) (an insertion
 * when start == end) with new bytes; everything between the edits is copied unchanged. Edits must
 * not overlap; they may be added in any order.
 */
final class BodyEdits {
  private record Edit(int start, int end, byte[] bytes) {}

  private final List<Edit> edits = new ArrayList<>(2);

  BodyEdits replace(int start, int end, byte[] bytes) {
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("bad range " + start + ".." + end);
    }
    edits.add(new Edit(start, end, bytes));
    return this;
  }

  BodyEdits insert(int at, byte[] bytes) {
    return replace(at, at, bytes);
  }

  boolean isEmpty() {
    return edits.isEmpty();
  }

  /** {@code raw} itself when there is nothing to change, else a new buffer with the edits applied. */
  Buffer applyTo(Buffer raw) {
    if (edits.isEmpty()) {
      return raw;
    }
    edits.sort(Comparator.comparingInt(Edit::start).thenComparingInt(Edit::end));
    int size = raw.length();
    for (Edit e : edits) {
      size += e.bytes.length - (e.end - e.start);
    }
    Buffer out = Buffer.buffer(size);
    int at = 0;
    for (Edit e : edits) {
      if (e.start < at || e.end > raw.length()) {
        throw new IllegalStateException("overlapping or out-of-range edit " + e.start + ".." + e.end);
      }
      out.appendBuffer(raw, at, e.start - at).appendBytes(e.bytes);
      at = e.end;
    }
    return out.appendBuffer(raw, at, raw.length() - at);
  }
}
