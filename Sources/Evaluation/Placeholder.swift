/// Metrics shared by every model (work in progress).
public enum EvaluationPlaceholder {}
