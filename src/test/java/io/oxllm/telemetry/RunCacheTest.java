package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class RunCacheTest {
  private final RunCache cache = new RunCache(2, 1);

  private byte[] find(String a, String b, long n) {
    cache.set(0, a);
    cache.set(1, b);
    cache.set(0, n);
    return cache.find();
  }

  private byte[] put(String a, String b, long n) {
    byte[] run = (a + "|" + b + "|" + n).getBytes();
    assertNull(find(a, b, n), "not kept before");
    cache.put(run);
    return run;
  }

  @Test
  void findsARunOnlyForEqualValues() {
    byte[] run = put("chat", null, 200);
    assertSame(run, find("chat", null, 200));
    assertSame(run, find(new String("chat".toCharArray()), null, 200), "equal, not the same instance");
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
    cache.set(0, "huge");
    cache.set(1, "x");
    cache.set(0, 1);
    cache.put(new byte[RunCache.MAX_RUN + 1]);
    assertNull(cache.find());
  }
}
