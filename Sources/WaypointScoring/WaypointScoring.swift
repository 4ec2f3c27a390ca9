// The WaypointScoring module: see the files of this folder.
