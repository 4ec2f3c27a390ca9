// The Decisioning module: see the files of this folder.
