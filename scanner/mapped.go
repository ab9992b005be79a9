package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/dtleaks/dtleaks/rules"
)

// Mapper is an Item's reader whose bytes can all be had at once, where they
// lie: a regular file mapped into memory. Scan then searches them in place,
// without copying each window out of the file (the copy a read makes costs
// about as much as the search of text that holds no token), and searches
// the windows ahead on the other processors while it places the matches
// of one, so that one large file does not keep a single processor busy
// while the others wait.
type Mapper interface {
	io.Reader
	// Map returns all the item's bytes, or nil when they are to be read
	// instead (a small file, a sparse one, a system without mappings, a
	// mapping refused). It is called before the first Read. The bytes
	// stay valid until the reader is closed; reading them may fault if
	// the file shrinks meanwhile (or its storage fails), which Scan
	// reports as ErrMapFault.
	Map() []byte
}

// ErrMapFault is the error of a mapped item whose bytes could no longer be
// read: the file was cut shorter while it was scanned, or the storage
// under it failed. The findings made before are kept.
var ErrMapFault = errors.New("the file could no longer be read through its mapping (cut shorter while scanned, or an I/O error)")

// mappedWindow is one window of a mapped item: data[base:base+n], owning
// the matches that start before base+end.
type mappedWindow struct {
	base, end, n int
	last         bool
}

// mappedWindows cuts data into the windows the read path would make of it:
// chunk bytes owned by each and rules.MaxSpan more seen, the owned part
// ending on a character's start, the last window taking the rest.
// They are appended to *ws as they are made, so that a fault leaves there
// the windows made before it.
func mappedWindows(data []byte, chunk int, ws *[]mappedWindow) {
	span := chunk + rules.MaxSpan
	*ws = make([]mappedWindow, 0, len(data)/chunk+1)
	for base := 0; ; {
		if len(data)-base <= span {
			*ws = append(*ws, mappedWindow{base: base, end: len(data) - base, n: len(data) - base, last: true})
			return
		}
		end := safeEnd(data[base:base+span], chunk)
		*ws = append(*ws, mappedWindow{base: base, end: end, n: span})
		base += end
	}
}

// mappedAhead is how many windows the searching goroutines may run ahead
// of the one placing matches, per goroutine: enough that none waits for
// another, few enough that the matches held stay a few windows' worth.
const mappedAhead = 2

// scanMapped is scanItemAllow for an item whose bytes are data, all at
// hand: the windows are slices of data, and their matches are found by
// other goroutines, in any order, while this one places them in order,
// exactly as scanItemAllow would. Lines are counted only up to the windows
// that hold a match (see lineLog).
//
// One goroutine searches from the start. More join, up to GOMAXPROCS,
// while busy, the count of goroutines of the scan at work, says a
// processor is idle: in a tree, the other workers keep them busy with
// other files, and searching a file on processors that have other work
// only adds handing windows from one cache to another; a large file
// scanned alone, or left last, gets them all. busy nil counts nothing:
// every processor may join.
func scanMapped(ctx context.Context, it Item, m *rules.Matcher, data []byte, chunk int, noAllow bool, busy *atomic.Int32) (fs []Finding, total int64, allowed int, err error) {
	lines := lineState{noAllow: noAllow, log: &lineLog{data: data}}
	var pending []Finding
	defer func() { allowed = lines.allowed }()
	// A fault here is a read of data past the end the file was cut to.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if e := faultIn(recover(), data); e != nil {
			fs, err = appendFindings(fs, pending), e
		}
	}()

	// total counts the bytes of the windows placed, as the read path
	// counts those read: an item that fails part way has not been read
	// whole.
	ws, werr := guardedWindows(data, chunk)
	if werr == nil && len(ws) == 1 {
		buf := data[:ws[0].n]
		fs = finish(&lines, buf, 0, ws[0].end, it, ownMatches(m, buf, ws[0].end, true, true), nil)
		return fs, int64(len(data)), 0, lines.err
	}

	type result struct {
		found
		err error
	}
	procs := runtime.GOMAXPROCS(0)
	most := min(procs, len(ws)) // searching goroutines
	ahead := mappedAhead * most
	var (
		next    atomic.Int64
		slots   = make([]chan result, ahead) // window k's matches go to slot k%ahead
		sem     = make(chan struct{}, ahead)
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		started int
	)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	// At most ahead windows are taken and not yet placed, and they are
	// taken in order: windows k and k+ahead are never both in flight, so
	// a slot is empty whenever its next window's matches are sent to it.
	search := func(extra bool) {
		started++
		wg.Go(func() {
			if extra {
				defer busy.Add(-1)
			}
			debug.SetPanicOnFault(true)
			for {
				select {
				case sem <- struct{}{}:
				case <-stop:
					return
				}
				k := int(next.Add(1) - 1)
				if k >= len(ws) {
					return
				}
				f, err := guardedMatches(m, data, ws[k])
				slots[k%ahead] <- result{f, err}
			}
		})
	}
	// join starts one more searching goroutine when a processor is idle.
	join := func() {
		if started >= most || next.Load() >= int64(len(ws)) {
			return
		}
		if busy == nil {
			search(false)
			return
		}
		for n := busy.Load(); n < int32(procs); n = busy.Load() {
			if busy.CompareAndSwap(n, n+1) {
				search(true)
				return
			}
		}
	}
	search(false)
	defer func() {
		close(stop)
		wg.Wait()
	}()

	for k, w := range ws {
		if err := ctx.Err(); err != nil {
			return fs, total, 0, err
		}
		join()
		f := <-slots[k%ahead]
		<-sem
		if f.err != nil {
			return appendFindings(fs, pending), total, 0, f.err
		}
		buf := data[w.base : w.base+w.n]
		if w.last {
			fs = appendFindings(fs, finish(&lines, buf, int64(w.base), w.end, it, f.found, pending))
			return fs, int64(len(data)), 0, lines.err
		}
		var done []Finding
		done, pending = window(&lines, buf, int64(w.base), w.end, false, it, f.found, pending)
		fs = appendFindings(fs, done)
		total = int64(w.base + w.n)
		if lines.err != nil {
			return appendFindings(fs, pending), total, 0, lines.err
		}
	}
	// The windows were cut short where a fault ended their making.
	return appendFindings(fs, pending), total, 0, werr
}

// guardedWindows is mappedWindows, which reads a few bytes where each
// window ends, that stops at a fault reading data: it returns the windows
// before it, none of them the last, and ErrMapFault.
func guardedWindows(data []byte, chunk int) (ws []mappedWindow, err error) {
	defer func() {
		if e := faultIn(recover(), data); e != nil {
			err = e
		}
	}()
	mappedWindows(data, chunk, &ws)
	return ws, nil
}

// guardedMatches is ownMatches on window w of data, which turns a fault
// reading data into ErrMapFault. It runs on a goroutine that panics on
// faults (debug.SetPanicOnFault).
func guardedMatches(m *rules.Matcher, data []byte, w mappedWindow) (f found, err error) {
	defer func() {
		if e := faultIn(recover(), data); e != nil {
			f, err = found{}, e
		}
	}()
	return ownMatches(m, data[w.base:w.base+w.n], w.end, w.base == 0, w.last), nil
}

// faultIn returns ErrMapFault, with the offset, when r, a recovered panic
// value, is a memory fault at an address of data; nil when r is nil. Any
// other panic is raised again: it is a bug, not the file.
func faultIn(r any, data []byte) error {
	if r == nil {
		return nil
	}
	if f, ok := r.(interface {
		runtime.Error
		Addr() uintptr
	}); ok && len(data) > 0 {
		start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
		if a := f.Addr(); a >= start && a-start < uintptr(len(data)) {
			return fmt.Errorf("%w, at offset %d", ErrMapFault, a-start)
		}
	}
	panic(r)
}
