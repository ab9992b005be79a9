package scanner

import (
	"errors"
	"io"
	"sync"

	"github.com/dtleaks/dtleaks/rules"
)

// filled is one window as read: the bytes the window before did not search
// (its overlap), then what was read after them.
type filled struct {
	buf     []byte
	skipped int64 // zeros skipped (ZeroSkipper) between the overlap and the bytes read
	n       int   // bytes read
	eof     bool  // the item ends with buf
	err     error // a read error, after which buf holds what was read
	skipErr bool  // err came from skipping zeros, before anything was read
}

// fill reads a window into buf, which holds the overlap of the window
// before, up to its capacity or the item's end.
func fill(r io.Reader, sk ZeroSkipper, buf []byte) filled {
	var w filled
	if sk != nil {
		// buf holds zeros only and more lie ahead: they are skipped as
		// if read, so buf's bytes stand for the last of them.
		n, err := skipZeros(sk, buf)
		if err != nil {
			return filled{buf: buf, err: err, skipErr: true}
		}
		w.skipped = n
	}
	n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
	w.buf, w.n = buf[:len(buf)+n], n
	w.eof = errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !w.eof {
		w.err = err
	}
	return w
}

// windowEnd returns where the part of a window that is its own ends: the
// rest, from there, starts the next window. Both the scan and the read-ahead
// compute it, from the window's bytes alone.
func windowEnd(w filled) int {
	if w.eof || w.err != nil {
		return len(w.buf)
	}
	return safeEnd(w.buf, len(w.buf)-rules.MaxSpan)
}

// readAhead reads an item's windows on a goroutine of its own, each while
// the scan searches the one before, in two buffers that take turns: the
// system's copy of the bytes (a fifth to a third of the CPU a large file
// costs) then overlaps the search on another core. The windows are exactly
// those a scan reading them itself would see.
type readAhead struct {
	next   chan filled   // windows read, in order
	free   chan []byte   // buffers the scan is done with
	done   chan struct{} // closed when the scan stops
	exited chan struct{} // closed when the goroutine has returned
	spare  *[]byte       // the buffer borrowed from aheadPool
}

// aheadPool holds the second buffers of read-aheads.
var aheadPool sync.Pool

// startReadAhead starts reading the windows that follow first, which the
// scan is about to search in its own buffer. The item's reader is read only
// by the goroutine from then on, until stop returns.
func startReadAhead(r io.Reader, sk ZeroSkipper, first filled) *readAhead {
	size := cap(first.buf)
	bp, _ := aheadPool.Get().(*[]byte)
	if bp == nil || cap(*bp) != size {
		b := make([]byte, 0, size)
		bp = &b
	}
	a := &readAhead{
		next:   make(chan filled, 1),
		free:   make(chan []byte, 2),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
		spare:  bp,
	}
	a.free <- (*bp)[:0]
	go func() {
		defer close(a.exited)
		prev := first
		for {
			var buf []byte
			select {
			case buf = <-a.free:
			case <-a.done:
				return
			}
			// The scan only reads prev while it searches it, so its
			// overlap can be copied meanwhile.
			buf = append(buf[:0], prev.buf[windowEnd(prev):]...)
			w := fill(r, sk, buf)
			select {
			case a.next <- w:
			case <-a.done:
				return
			}
			if w.eof || w.err != nil {
				return
			}
			prev = w
		}
	}()
	return a
}

// release hands back a buffer the scan is done with.
func (a *readAhead) release(buf []byte) { a.free <- buf[:0] }

// stop ends the read-ahead and waits until its goroutine no longer touches
// the item's reader or either buffer.
func (a *readAhead) stop() {
	close(a.done)
	<-a.exited
	aheadPool.Put(a.spare)
}
