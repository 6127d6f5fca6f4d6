package io.oxllm.config;

/**
 * Model names may hold any character but a control character: a name goes back to the client in
 * the {@code x-oxllm-model} header, where Vert.x refuses CR, LF and the like. The same rule
 * refuses such a name in a request ({@code http.RequestBody}).
 */
public final class ModelNames {
  static final String CONTROL_PROBLEM = "a model name must not contain control characters";
  /**
   * The longest model name a request may give. Real names are far shorter (a Hugging Face path is
   * ~60); the name goes back in a response header, the request log and the metric labels, and a
   * 1 MB one made a header no client could read, after a real upstream call.
   */
  public static final int MAX_REQUEST_LENGTH = 256;

  private ModelNames() {}

  /**
   * Longer than {@link #MAX_REQUEST_LENGTH} characters (code points). Counted only for a name over
   * that many UTF-16 units, which every name that long is: the usual name costs one comparison.
   */
  public static boolean tooLongForARequest(String name) {
    return name.length() > MAX_REQUEST_LENGTH && name.codePointCount(0, name.length()) > MAX_REQUEST_LENGTH;
  }

  /**
   * Whether {@code name} has a surrogate without its pair: JSON can write one ({@code "\ud83d"}),
   * but it is no Unicode text, and no JSON writer (the upstream body's) or UTF-8 encoder takes it.
   */
  public static boolean hasLoneSurrogate(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
        i++; // a pair: one character
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  public static boolean hasControlCharacter(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return true;
      }
    }
    return false;
  }
}
