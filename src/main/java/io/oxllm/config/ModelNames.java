package io.oxllm.config;

/**
 * Model names may hold any character but a control character: a name goes back to the client in
 * the {@code x-oxllm-model} header, where Vert.x refuses CR, LF and the like. The same rule
 * refuses such a name in a request ({@code http.RequestBody}).
 */
public final class ModelNames {
  static final String CONTROL_PROBLEM = "a model name must not contain control characters";

  private ModelNames() {}

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
