/// Logistic regression (work in progress).
public enum LogisticPlaceholder {}
