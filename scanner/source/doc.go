// Package source holds the sources of a scan that read files: [Dir] walks
// files and directory trees, honouring ignore files as ripgrep does, and
// [Reader] is one stream such as standard input. The sources that read a
// git repository are its subpackages: history (the whole history) and
// staged (what the next commit would add).
//
// A source only finds bytes and names them: it never matches tokens, so it
// never holds a finding, and the errors it yields name paths, never content.
package source
