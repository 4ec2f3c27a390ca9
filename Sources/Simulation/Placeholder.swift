/// Ground-truth journey simulator (work in progress).
public enum SimulationPlaceholder {}
