package io.oxllm.telemetry;

/**
 * The last few distinct encodings of a run of fields that repeats from record to record (a span's
 * name and the attributes made of its operation, provider, models and status; a log line's fields
 * from {@code path} to {@code stream}), each kept with the values it was encoded from. Most
 * requests share those values with one of the last few, and then the run is a few comparisons and
 * one copy instead of encoding field by field (docs/architecture.md, "Telemetry").
 *
 * <p>Use: {@link #set} every value of the key, then {@link #copyKept}; when that finds nothing,
 * encode the run into the same {@link Target} and {@link #keep} it, with the values last set. At
 * most {@value #ENTRIES} entries of at most {@value #MAX_RUN} bytes (a longer run, say a huge
 * model name, is not kept). Strings are compared with {@code equals}, so a hit is exactly what
 * encoding would have made. Worker thread only, like the encoders.
 */
final class RunCache {
  static final int ENTRIES = 16;
  static final int MAX_RUN = 1024;

  private final String[] probeStrings;
  private final long[] probeNumbers;
  private final String[][] strings = new String[ENTRIES][];
  private final long[][] numbers = new long[ENTRIES][];
  private final byte[][] runs = new byte[ENTRIES][];
  private int size;
  private int next; // the entry the next put replaces once all are used
  private int last; // the last entry found or put: the one most likely to match again

  /** Where runs are written: the encoders' buffers. */
  interface Target {
    void raw(byte[] bytes);

    int size();

    /** A copy of what was written since {@code from} (a {@link #size} taken earlier). */
    byte[] copySince(int from);
  }

  RunCache(int stringValues, int numberValues) {
    probeStrings = new String[stringValues];
    probeNumbers = new long[numberValues];
  }

  void set(int i, String value) {
    probeStrings[i] = value;
  }

  void set(int i, long value) {
    probeNumbers[i] = value;
  }

  /** Writes the run kept for the values now set into {@code out}; false when none is. */
  boolean copyKept(Target out) {
    byte[] run = find();
    if (run == null) {
      return false;
    }
    out.raw(run);
    return true;
  }

  /** Keeps what {@code out} holds since {@code from}: the run of the values now set. */
  void keep(Target out, int from) {
    put(out.copySince(from));
  }

  /** The run encoded from the values now set; null when it is not kept. */
  private byte[] find() {
    if (size == 0) {
      return null;
    }
    if (matches(last)) {
      return runs[last];
    }
    for (int e = 0; e < size; e++) {
      if (e != last && matches(e)) {
        last = e;
        return runs[e];
      }
    }
    return null;
  }

  /** Keeps {@code run}, encoded from the values now set, in place of the oldest entry. */
  private void put(byte[] run) {
    if (run.length > MAX_RUN) {
      return;
    }
    int e = next;
    next = (next + 1) % ENTRIES;
    size = Math.max(size, e + 1);
    strings[e] = probeStrings.clone();
    numbers[e] = probeNumbers.clone();
    runs[e] = run;
    last = e;
  }

  private boolean matches(int e) {
    return sameNumbers(numbers[e]) && sameStrings(strings[e]);
  }

  // a loop, not Arrays.equals: for one to four numbers, its vectorized stub's call cost more
  private boolean sameNumbers(long[] kept) {
    for (int i = 0; i < kept.length; i++) {
      if (kept[i] != probeNumbers[i]) {
        return false;
      }
    }
    return true;
  }

  private boolean sameStrings(String[] kept) {
    for (int i = 0; i < kept.length; i++) {
      String a = kept[i];
      String b = probeStrings[i];
      if (a != b && (a == null || !a.equals(b))) {
        return false;
      }
    }
    return true;
  }
}
