// Package source holds every source in one place: the things a scan reads,
// each a [scanner.Source]. [Dir] walks files and directory trees, honouring
// ignore files as ripgrep does; [Reader] is standard input; History and
// Staged read a git repository's history and what is about to be committed.
//
// A source only finds bytes and names them: it never matches tokens, so it
// never holds a finding, and the errors it yields name paths, never content.
package source
