package io.oxllm.config;

/** {@code openai}: any OpenAI-compatible server; {@code echo}: the built-in local provider. */
public enum ProviderType {
  OPENAI, ECHO;

  /** The name used in the TOML file. */
  public String configName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
