public enum LinalgPlaceholder {}
