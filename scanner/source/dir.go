package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/dtleaks/dtleaks/internal/archive"
	"github.com/dtleaks/dtleaks/internal/ignore"
	"github.com/dtleaks/dtleaks/scanner"
)

// Dir is a [scanner.Source] over files and directory trees.
//
// Each regular file becomes an item whose Path is the root joined with the
// file's path below it, with forward slashes: the path as a user would type
// it from the working directory ("app.env" under the root ".", "sub/app.env"
// under "sub", absolute under an absolute root). A root that is a file is
// scanned as it is named.
//
// The walk follows ripgrep's rules. Inside a git repository (a ".git" at the
// root or above it) the .gitignore files from the repository's top down, and
// .git/info/exclude, are honoured; .dtleaksignore files (same syntax) are
// honoured everywhere and take precedence. Roots themselves are never
// ignored. Hidden files are scanned. A ".git" directory is never walked.
//
// Symbolic links are not followed, except a root's own; FIFOs, sockets and
// devices are skipped without being opened. Files and directories that
// cannot be read are yielded as errors and the walk goes on.
type Dir struct {
	// Roots are the files and directories to scan; none means ".". A
	// root named twice is scanned once; roots that overlap are each
	// scanned.
	Roots []string
	// Jobs bounds how many files and directories are read at once; 0
	// means runtime.GOMAXPROCS(0).
	Jobs int
	// NoIgnore scans every file, ignoring .gitignore, info/exclude and
	// .dtleaksignore. A .git directory is still not walked.
	NoIgnore bool
	// MaxArchiveDepth is how many levels of archives (zip, jar, tar,
	// gzip...) are opened and their members scanned, each named
	// "archive!member" (see package archive); 0 scans archives as plain
	// bytes.
	MaxArchiveDepth int
	// Ignored, when set, counts the paths (files, and directories not
	// walked) the ignore rules left out, for a summary to say so.
	Ignored *atomic.Int64

	// beforeOpen, when set, is called with each path just before it is
	// opened: tests use it to change the tree between listing and opening.
	beforeOpen func(path string)
	// maxOpenDirs, when not 0, replaces dirOpenDirsMax(); negative keeps
	// none open. Tests use it to reach the fallback to full paths.
	maxOpenDirs int
}

// dirMaxOpenDirs bounds how many directories a walk keeps open for their
// entries to be opened relative to them (see dirRef). A depth-first walk
// holds about one per level below the root per worker, so this is reached
// only in very deep trees; past it, entries are opened by their full path.
// A process allowed few descriptors keeps fewer (dirOpenDirsMax).
const dirMaxOpenDirs = 128

// Items walks the roots with Jobs workers, each yielding the files it
// opens. Each file is open only while yield runs.
func (d Dir) Items(ctx context.Context, yield func(scanner.Item, error) error) error {
	jobs := d.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	roots := d.Roots
	if len(roots) == 0 {
		roots = []string{"."}
	}
	seen := make(map[string]bool, len(roots))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	w := &dirWalker{ctx: gctx, yield: yield, noIgnore: d.NoIgnore, archiveDepth: d.MaxArchiveDepth, ignored: d.Ignored, beforeOpen: d.beforeOpen, maxOpenDirs: dirOpenDirsMax()}
	switch {
	case d.maxOpenDirs < 0:
		w.maxOpenDirs = 0
	case d.maxOpenDirs > 0:
		w.maxOpenDirs = int32(d.maxOpenDirs)
	}
	w.queue.cond.L = &w.queue.mu
	for _, r := range slices.Backward(roots) {
		// The same root twice ("scan . .") would report each finding
		// twice.
		if c := filepath.Clean(r); !seen[c] {
			seen[c] = true
			w.queue.tasks = append(w.queue.tasks, dirTask{path: r, kind: dirTaskRoot})
		}
	}
	stop := context.AfterFunc(gctx, w.queue.stop)
	defer stop()
	for range jobs {
		g.Go(w.work)
	}
	err := g.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// dirWalker is the state one call of Dir.Items shares between its workers.
type dirWalker struct {
	ctx        context.Context
	yield      func(scanner.Item, error) error
	noIgnore   bool
	beforeOpen func(path string)
	queue      dirQueue
	// archiveDepth is Dir.MaxArchiveDepth, ignored Dir.Ignored.
	archiveDepth int
	ignored      *atomic.Int64
	// openDirs counts the directories kept open for their entries,
	// at most maxOpenDirs.
	openDirs    atomic.Int32
	maxOpenDirs int32
}

// skip counts a path the ignore rules left out.
func (w *dirWalker) skip() {
	if w.ignored != nil {
		w.ignored.Add(1)
	}
}

// dirTask is one thing to do: a root to look at, a directory to list, or a
// file to scan.
type dirTask struct {
	path string
	// parent, when set, is the open directory that holds path, which is
	// opened relative to it by its last name; the task holds a reference
	// on it until it is done (or dropped).
	parent *dirRef
	// key is the path relative to the ignore rules' anchor, and node the
	// rules in force in the directory that holds the path; both unset
	// with NoIgnore.
	key  string
	node *ignore.Node
	kind dirTaskKind
}

type dirTaskKind uint8

const (
	dirTaskFile dirTaskKind = iota
	dirTaskDir
	dirTaskRoot
)

// dirQueue is the work shared by the workers: a stack, so the walk goes
// depth first and the queue stays about as long as a few directory
// listings. Workers are long-lived and take tasks from it, rather than one
// goroutine per file: a worker that finishes a file goes straight on to the
// next, and sleeps only when there is no work at all.
type dirQueue struct {
	mu      sync.Mutex
	cond    sync.Cond
	tasks   []dirTask
	busy    int  // workers holding a task, which may push more
	waiting int  // workers waiting for a task
	done    bool // no more tasks will come: all done, failed or cancelled
}

// pop takes a task, waiting while the queue is empty and some worker may
// still push one. It reports false when the walk is over. finished says
// the task taken by the worker's last pop is done, its subtasks pushed:
// one lock for the two.
func (q *dirQueue) pop(finished bool) (dirTask, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if finished {
		q.busy--
	}
	for len(q.tasks) == 0 && !q.done {
		if q.busy == 0 {
			q.done = true
			q.cond.Broadcast()
			break
		}
		q.waiting++
		q.cond.Wait()
		q.waiting--
	}
	if q.done {
		return dirTask{}, false
	}
	t := q.tasks[len(q.tasks)-1]
	q.tasks[len(q.tasks)-1] = dirTask{}
	q.tasks = q.tasks[:len(q.tasks)-1]
	q.busy++
	return t, true
}

// push adds tasks found while holding one. Once the walk is over they are
// dropped, their references released.
func (q *dirQueue) push(ts []dirTask) {
	if len(ts) == 0 {
		return
	}
	q.mu.Lock()
	if q.done {
		q.mu.Unlock()
		dirReleaseAll(ts)
		return
	}
	q.tasks = append(q.tasks, ts...)
	switch {
	case q.waiting == 0:
	case len(ts) == 1:
		q.cond.Signal()
	default:
		q.cond.Broadcast()
	}
	q.mu.Unlock()
}

// stop ends the walk: waiting workers return, busy ones stop after their
// task. The tasks left are dropped, their references released.
func (q *dirQueue) stop() {
	q.mu.Lock()
	q.done = true
	left := q.tasks
	q.tasks = nil
	q.cond.Broadcast()
	q.mu.Unlock()
	dirReleaseAll(left)
}

// dirRef is a directory kept open while tasks for its entries are pending,
// so that each entry is opened relative to it (openat) by its name: opened
// by its full path, a file deep in a tree costs the kernel a lookup of
// every directory above it, each time. It also means a directory above an
// entry cannot be swapped for a symbolic link between the listing and the
// opening: the entry is looked up in the directory that was listed. Each
// task holds one reference; the last one released closes the directory.
type dirRef struct {
	d    dirDir
	refs atomic.Int32
	open *atomic.Int32 // the walker's dirWalker.openDirs
}

// release drops one reference to r, closing the directory with the last.
// A nil r is no directory: nothing to do.
func (r *dirRef) release() {
	if r != nil && r.refs.Add(-1) == 0 {
		r.d.close()
		r.open.Add(-1)
	}
}

// dirReleaseAll releases the parents of tasks that will not be done.
func dirReleaseAll(ts []dirTask) {
	for _, t := range ts {
		t.parent.release()
	}
}

// work is one worker: it does tasks until the walk is over. An error (from
// yield, or the end of ctx) ends the walk for every worker.
func (w *dirWalker) work() error {
	s := new(dirScratch)
	for finished := false; ; finished = true {
		t, ok := w.queue.pop(finished)
		if !ok {
			return w.ctx.Err()
		}
		var err error
		if err = w.ctx.Err(); err == nil {
			switch t.kind {
			case dirTaskFile:
				err = w.file(&s.file, t.parent, t.path, false)
			case dirTaskDir:
				err = w.dir(s, t, false)
			case dirTaskRoot:
				err = w.root(s, t.path)
			}
		}
		t.parent.release()
		if err != nil {
			w.queue.stop()
			return err
		}
	}
}

// dirScratch is what a worker reuses from one task to the next.
type dirScratch struct {
	// file is each file opened in turn: it is open only while yield
	// runs.
	file dirFile
	// ents is a directory's listing, buf what it is read into (see
	// dirDir.list), found the tasks for its entries.
	ents  []dirEnt
	buf   []byte
	found []dirTask
}

// dirEnt is one entry of a directory listing.
type dirEnt struct {
	name string
	typ  fs.FileMode // the type bits, as fs.DirEntry.Type gives them
}

// dirProblem is a path that could not be read, to be yielded.
type dirProblem struct {
	path string
	err  error
}

// errDirSkip says a path turned out not to be a regular file when opened
// (it was swapped for a FIFO or device after it was listed): it is skipped,
// as it would have been had it been one when listed.
var errDirSkip = errors.New("not a regular file")

// problem yields a path that could not be read; the walk goes on unless
// yield says otherwise.
func (w *dirWalker) problem(path string, err error) error {
	return w.yield(scanner.Item{Path: path}, err)
}

// root scans one root: a file, or a directory walked with its ignore rules.
func (w *dirWalker) root(s *dirScratch, root string) error {
	path := filepath.ToSlash(filepath.Clean(root))
	fi, err := os.Stat(path) // a root's own symbolic link is followed
	if err != nil {
		return w.problem(path, err)
	}
	switch {
	case fi.Mode().IsRegular():
		if !w.noIgnore {
			// A file named on the command line is scanned whatever
			// .gitignore says (as ripgrep does), but .dtleaksignore
			// lists paths never to scan: pre-commit passes every staged
			// file, fixtures included.
			n, key, problems := ignoreAncestors(path)
			for _, p := range problems {
				if err := w.problem(p.path, p.err); err != nil {
					return err
				}
			}
			if n.DtleaksIgnored(key) {
				w.skip()
				return nil
			}
		}
		return w.file(&s.file, nil, path, true)
	case fi.IsDir():
		t := dirTask{path: path, kind: dirTaskDir}
		if !w.noIgnore {
			var problems []dirProblem
			t.node, t.key, problems = ignoreAncestors(path)
			for _, p := range problems {
				if err := w.problem(p.path, p.err); err != nil {
					return err
				}
			}
		}
		return w.dir(s, t, true)
	default:
		return w.problem(path, fmt.Errorf("not a regular file or directory (%s): not scanned", dirModeName(fi.Mode())))
	}
}

// dirModeName names the kind of a file that is neither regular nor a
// directory.
func dirModeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "irregular file"
}

// dir lists one directory and pushes its entries as tasks. t.key is the
// directory's path relative to the ignore rules' anchor, t.node the rules
// in force above it.
func (w *dirWalker) dir(s *dirScratch, t dirTask, isRoot bool) error {
	path := t.path
	if w.beforeOpen != nil {
		w.beforeOpen(path)
	}
	// Listed as a directory: if it has become a link since, it is not
	// followed.
	d, err := dirOpenDir(t.parent, path, !isRoot)
	if err != nil {
		return w.problem(path, err)
	}
	ents, err := d.list(path, s.ents[:0], &s.buf)
	s.ents = ents
	found, err := w.entries(t, ents, err, s.found[:0])
	// The scratch space keeps neither the listing's names nor the tasks,
	// which the queue has a copy of: both may be freed with the tasks.
	clear(ents)
	s.found = found
	defer clear(found)
	if err != nil || len(found) == 0 {
		d.close()
		return err
	}
	// The directory is kept open for its entries to be opened relative
	// to it, while the walk holds fewer than maxOpenDirs; past that they
	// are opened by their full path.
	if w.openDirs.Add(1) <= w.maxOpenDirs {
		ref := &dirRef{d: d, open: &w.openDirs}
		ref.refs.Store(int32(len(found)))
		for i := range found {
			found[i].parent = ref
		}
	} else {
		w.openDirs.Add(-1)
		d.close()
	}
	w.queue.push(found)
	return nil
}

// entries appends to found the tasks for a directory's entries ents, as
// dir lists them; readErr is the error that ended the listing, if any.
func (w *dirWalker) entries(t dirTask, ents []dirEnt, readErr error, found []dirTask) ([]dirTask, error) {
	path := t.path
	if readErr != nil {
		// Whatever was listed before the error is still scanned.
		if err := w.problem(path, readErr); err != nil {
			return found, err
		}
	}
	if dirIsBareRepo(ents) {
		if err := w.problem(path, ErrBareRepository); err != nil {
			return found, err
		}
	}
	node := t.node
	var (
		unread []string
		err    error
	)
	if !w.noIgnore {
		if node, unread, err = w.dirIgnore(path, t.key, t.node, ents); err != nil {
			return found, err
		}
	}
	for _, e := range ents {
		if err := w.ctx.Err(); err != nil {
			return found, err
		}
		name, typ := e.name, e.typ
		kind := dirTaskFile
		switch {
		case typ.IsDir():
			if name == ignore.GitDir {
				continue
			}
			kind = dirTaskDir
		case dirListedFile(typ):
			if unread != nil && slices.Contains(unread, name) {
				continue // already reported
			}
		default:
			// Symbolic links are not followed; FIFOs, sockets and
			// devices are never opened.
			continue
		}
		c := dirTask{path: dirJoin(path, name), kind: kind}
		if !w.noIgnore {
			c.key, c.node = ignore.Join(t.key, name), node
			if node.Ignored(c.key, name, kind == dirTaskDir) {
				w.skip()
				continue
			}
		}
		found = append(found, c)
	}
	return found, nil
}

// dirIgnore reads the ignore files a directory holds and returns the rules
// in force in it. An ignore file that cannot be read is reported once, here,
// and named in unread so that the walk does not report it again as a file.
func (w *dirWalker) dirIgnore(path, key string, parent *ignore.Node, ents []dirEnt) (n *ignore.Node, unread []string, err error) {
	var (
		dtleaks, git, exclude *ignore.List
		repo                  bool
		tracked               *ignore.Tracked
	)
	read := func(p string) (*ignore.List, bool, error) {
		l, err := ignoreRead(p)
		if err != nil {
			return nil, false, w.problem(filepath.ToSlash(p), fmt.Errorf("ignore rules not applied: %w", err))
		}
		return l, true, nil
	}
	for _, e := range ents {
		t := e.typ
		ok := true
		switch name := e.name; {
		case name == ignore.DtleaksFile && t.IsRegular():
			dtleaks, ok, err = read(dirJoin(path, name))
		case name == ignore.GitFile && t.IsRegular():
			git, ok, err = read(dirJoin(path, name))
		case name == ignore.GitDir && (t.IsDir() || t.IsRegular()):
			repo = true
			if p := ignoreExcludePath(dirJoin(path, name), t.IsDir()); p != "" {
				exclude, _, err = read(p)
			}
			tracked = ignoreTracked(dirJoin(path, name), t.IsDir())
		}
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			unread = append(unread, e.name)
		}
	}
	n = parent.Child(key, dtleaks, git, exclude, repo)
	if repo {
		n = n.WithTracked(tracked)
	}
	return n, unread, nil
}

// file opens one file into the worker's f, relative to parent when set,
// yields it, and closes it. f is reused for the next file: what yield is
// given is read only while yield runs.
func (w *dirWalker) file(f *dirFile, parent *dirRef, path string, isRoot bool) error {
	if w.beforeOpen != nil {
		w.beforeOpen(path)
	}
	err := dirOpenIn(f, parent, path, !isRoot)
	if err == errDirSkip && !isRoot {
		return nil
	}
	if err != nil {
		return w.problem(path, err)
	}
	if w.archiveDepth > 0 && archive.KindOf(path) != archive.None {
		err = dirArchive(w.ctx, f, w.archiveDepth, w.yield)
	} else {
		err = w.yield(scanner.Item{Path: path, R: f}, nil)
	}
	f.Close()
	return err
}

// dirReadSmall reads a small regular file such as an ignore file, never
// following a symbolic link (git does not follow a linked .gitignore) and
// never opening a FIFO. A path that is a link or not a regular file counts
// as missing.
func dirReadSmall(path string) ([]byte, error) {
	f, err := dirOpen(path, true)
	if err == errDirSkip || errors.Is(err, syscall.ELOOP) {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const max = 16 << 20 // an ignore file larger than this is not one
	return io.ReadAll(io.LimitReader(f, max))
}

// dirOpen opens a file for reading: see dirOpenIn.
func dirOpen(path string, noFollow bool) (*dirFile, error) {
	f := new(dirFile)
	if err := dirOpenIn(f, nil, path, noFollow); err != nil {
		return nil, err
	}
	return f, nil
}

// dirFile reads an open regular file. It is lighter than an *os.File,
// which would try to register each file with the network poller.
type dirFile struct {
	fd   dirHandle
	path string
	size int64 // when opened
	read int64
	// sparse is set when the file has fewer blocks than bytes (holes, or
	// a compressing file system): it is read, holes skipped, not mapped.
	sparse bool
	mapped []byte // its bytes, once Map has mapped them
}

// Read reads from the file. A read that reaches the size the file had when
// opened is the end: for a regular file a short read means there was no
// more data, and reporting io.EOF with it saves a system call per file; a
// full one means the file grew, and a file appended to faster than it is
// read (a busy log) must not keep the scan going for ever. So a file is
// scanned as it was when opened, plus at most one read of what was added.
// A file that says it is empty (as /proc and sysfs files do) is read to
// its end, whatever the size of each read: those give a page or a record at
// a time, so a short read there says nothing about the end.
//
// One call reads at most dirMaxRead bytes.
func (f *dirFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := dirSysRead(f.fd, p[:min(len(p), dirMaxRead)])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: f.path, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		f.read += int64(n)
		if f.size > 0 && f.read >= f.size {
			return n, io.EOF
		}
		return n, nil
	}
}

// dirMaxRead bounds one read system call. The scanner asks for a megabyte
// at a time (scanner.DefaultChunkSize); a read that long, 100 µs and more
// even from the page cache, is seen by the Go runtime's monitor thread
// (sysmon) as a blocked system call: it hands the worker's processor to
// another thread, and as long as it finds such calls it wakes every 20 µs
// to look for more. Reads of 128 KiB mostly return before it looks. The
// scanner's io.ReadFull asks again for the rest of its chunk: a few more
// reads, for files over 128 KiB only.
const dirMaxRead = 128 << 10

// Close closes the file. The worker's dirFile is reused for the next
// file: a reader kept past its yield fails (EBADF) rather than reading
// whatever file next gets the descriptor's number.
func (f *dirFile) Close() error {
	err := errors.Join(f.unmap(), dirSysClose(f.fd))
	f.fd = dirNoHandle
	return err
}

// dirJoin joins a directory path as the user gave it (cleaned) and a name,
// without cleaning again: "." and "x" give "x", "/" and "x" give "/x".
func dirJoin(dir, name string) string {
	switch {
	case dir == ".":
		return name
	case strings.HasSuffix(dir, "/"):
		return dir + name
	}
	return dir + "/" + name
}
