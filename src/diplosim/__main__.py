from diplosim.cli import entry

entry()
