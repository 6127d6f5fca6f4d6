package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RunCacheTest {
  private final RunCache cache = new RunCache(2, 1);

  /** An encoder's buffer, as far as the cache sees it. */
  private static final class Bytes implements RunCache.Target {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @Override
    public void raw(byte[] bytes) {
      out.writeBytes(bytes);
    }

    @Override
    public int size() {
      return out.size();
    }

    @Override
    public byte[] copySince(int from) {
      byte[] all = out.toByteArray();
      return Arrays.copyOfRange(all, from, all.length);
    }
  }

  private void set(String a, String b, long n) {
    cache.set(0, a);
    cache.set(1, b);
    cache.set(0, n);
  }

  /** The run kept for these values, as copied into a buffer; null when none is. */
  private byte[] find(String a, String b, long n) {
    set(a, b, n);
    Bytes out = new Bytes();
    return cache.copyKept(out) ? out.copySince(0) : null;
  }

  /** Encodes a run for these values after some other bytes, and keeps it. */
  private byte[] put(String a, String b, long n) {
    byte[] run = (a + "|" + b + "|" + n).getBytes();
    assertNull(find(a, b, n), "not kept before");
    Bytes out = new Bytes();
    out.raw("before the run".getBytes());
    int from = out.size();
    out.raw(run);
    cache.keep(out, from);
    return run;
  }

  @Test
  void findsARunOnlyForEqualValues() {
    byte[] run = put("chat", null, 200);
    assertArrayEquals(run, find("chat", null, 200));
    assertArrayEquals(run, find(new String("chat".toCharArray()), null, 200), "equal, not the same instance");
    assertNull(find("chat", null, 429));
    assertNull(find("chat", "", 200), "null is not the empty string");
    assertNull(find("chat ", null, 200));
    assertNull(find(null, null, 200));
  }

  @Test
  void keepsTheLastEntriesAndEvictsTheOldest() {
    byte[][] runs = new byte[RunCache.ENTRIES + 1][];
    for (int i = 0; i <= RunCache.ENTRIES; i++) {
      runs[i] = put("m" + i, "p", i);
    }
    assertNull(find("m0", "p", 0), "the oldest made room");
    for (int i = 1; i <= RunCache.ENTRIES; i++) {
      assertArrayEquals(runs[i], find("m" + i, "p", i));
    }
  }

  @Test
  void doesNotKeepALongRun() {
    set("huge", "x", 1);
    Bytes out = new Bytes();
    out.raw(new byte[RunCache.MAX_RUN + 1]);
    cache.keep(out, 0);
    assertNull(find("huge", "x", 1));
  }
}
