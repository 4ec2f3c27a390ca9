// The Features module: see the files of this folder.
