package scanner

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dtleaks/dtleaks/rules"
)

// AllowMarker on a line keeps the tokens on that line out of the report, for
// documentation examples and test fixtures.
const AllowMarker = "dtleaks:allow"

// The marker written in UTF-16, little- and big-endian less its last NUL,
// for tokens found in UTF-16 text (on a line that does not go on past the
// window the token is found in).
var allowLE, allowBE = func() ([]byte, []byte) {
	var le, be []byte
	for i := range len(AllowMarker) {
		le = append(le, AllowMarker[i], 0)
		be = append(be, 0, AllowMarker[i])
	}
	return le[:len(le)-1], be[1:]
}()

// DefaultChunkSize is how many bytes Scan reads at a time from one item.
const DefaultChunkSize = 1 << 20

// Options tunes a scan. The zero value is ready to use.
type Options struct {
	// Matcher finds the tokens; nil means a zero rules.Matcher.
	Matcher *rules.Matcher
	// ChunkSize is how many bytes are read at a time from one item; 0
	// means DefaultChunkSize. Memory per worker is about ChunkSize plus
	// rules.MaxSpan, whatever the item's size.
	ChunkSize int
	// NoAllow reports the tokens on lines that hold AllowMarker too, for
	// auditors.
	NoAllow bool
}

// Scan reads every item src yields and returns what it found. The result is
// sorted, so it does not depend on the order in which a parallel source
// yields. Scan returns an error only when the source failed as a whole or
// ctx ended; unreadable items are Problems in the result.
func Scan(ctx context.Context, src Source, opts Options) (Result, error) {
	start := time.Now()
	if opts.Matcher == nil {
		opts.Matcher = &rules.Matcher{}
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	bufs := newBufferPool(opts.ChunkSize + rules.MaxSpan)
	var (
		mu      sync.Mutex
		res     Result
		items   atomic.Int64
		nb      atomic.Int64
		allowed atomic.Int64
		busy    atomic.Int32 // items being scanned, and their helpers (see scanMapped)
	)
	err := src.Items(ctx, func(it Item, err error) error {
		names := nameFindings(it, opts.Matcher)
		if err != nil {
			mu.Lock()
			res.Findings = append(res.Findings, names...)
			res.Problems = append(res.Problems, Problem{Path: it.Path, Err: err})
			mu.Unlock()
			return ctx.Err()
		}
		items.Add(1)
		bp := bufs.get()
		busy.Add(1)
		fs, n, na, err := scanItemAllow(ctx, it, opts.Matcher, *bp, opts.NoAllow, &busy)
		busy.Add(-1)
		allowed.Add(int64(na))
		bufs.put(bp)
		nb.Add(n)
		mu.Lock()
		res.Findings = appendFindings(res.Findings, names)
		res.Findings = appendFindings(res.Findings, fs)
		if err != nil {
			res.Problems = append(res.Problems, Problem{Path: it.Path, Err: err})
		}
		mu.Unlock()
		return ctx.Err()
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return Result{}, err
	}
	if r, ok := src.(Resolver); ok {
		fs, ps, err := r.Resolve(ctx, res.Findings)
		if err != nil {
			return Result{}, err
		}
		res.Findings = fs
		res.Problems = append(res.Problems, ps...)
	}
	redactResult(&res)
	Sort(res.Findings)
	slices.SortStableFunc(res.Problems, func(a, b Problem) int { return cmp.Compare(a.Path, b.Path) })
	res.Stats = Stats{Items: items.Load(), Bytes: nb.Load(), Findings: len(res.Findings), Duration: time.Since(start), Allowed: allowed.Load()}
	return res, nil
}

// bufferPool keeps the windows' buffers of one scan for reuse. It is not a
// sync.Pool, which the garbage collector empties: every collection during
// a scan of many files would drop the megabyte buffers, and each worker
// would then allocate, zero and fault in a new one. The pool holds as many
// buffers as items were ever scanned at once, a few per processor, and
// no more than it has room for.
type bufferPool struct {
	size int
	free chan *[]byte
}

func newBufferPool(size int) *bufferPool {
	return &bufferPool{size: size, free: make(chan *[]byte, 2*runtime.GOMAXPROCS(0))}
}

// get returns a free buffer of the pool's size, empty.
func (p *bufferPool) get() *[]byte {
	select {
	case b := <-p.free:
		return b
	default:
		b := make([]byte, 0, p.size)
		return &b
	}
}

// put returns a buffer to the pool, or leaves it to the collector when the
// pool is full.
func (p *bufferPool) put(b *[]byte) {
	select {
	case p.free <- b:
	default:
	}
}

// Sort orders findings by path, location, commit, line, column and
// identifier: the order every report uses.
//
// Findings already in order, as those of one file are, are left as they
// are after one pass of comparisons: the stable sort would still merge its
// blocks with binary searches, n log n comparisons of up to eight fields
// (for the 332k findings of a long line dense with tokens, 48 ms of CPU
// against 20).
func Sort(fs []Finding) {
	if slices.IsSortedFunc(fs, compareFindings) {
		return
	}
	slices.SortStableFunc(fs, compareFindings)
}

// compareFindings is the order of Sort.
func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.Location, b.Location),
		cmp.Compare(a.Origin.Commit, b.Origin.Commit),
		cmp.Compare(a.Origin.Blob, b.Origin.Blob),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		cmp.Compare(a.ID, b.ID),
		cmp.Compare(a.Fingerprint, b.Fingerprint),
	)
}

// scanItem reads one item in windows of len(cap(buf)) bytes. Consecutive
// windows overlap by rules.MaxSpan bytes, so a token cut by one read is whole
// in the next window; each window reports only the matches that start in the
// part of it the next window does not repeat. It returns the findings, the
// number of bytes read, and the read error, if any: findings made before a
// read failed are kept.
func scanItem(ctx context.Context, it Item, m *rules.Matcher, buf []byte) ([]Finding, int64, error) {
	fs, n, _, err := scanItemAllow(ctx, it, m, buf, false, nil)
	return fs, n, err
}

// scanItemAllow is scanItem that also returns how many tokens AllowMarker
// kept out, and with noAllow keeps none out. busy counts the goroutines of
// the scan at work, which a mapped item may join (see scanMapped); nil
// when nothing counts them.
func scanItemAllow(ctx context.Context, it Item, m *rules.Matcher, buf []byte, noAllow bool, busy *atomic.Int32) (fs []Finding, total int64, allowed int, err error) {
	if mp, ok := it.R.(Mapper); ok {
		if data := mp.Map(); data != nil {
			return scanMapped(ctx, it, m, data, cap(buf)-rules.MaxSpan, noAllow, busy)
		}
	}
	var (
		base    int64 // offset in the item of buf[0]
		lines   = lineState{noAllow: noAllow}
		pending []Finding // findings on a line that goes on past the window
	)
	defer func() { allowed = lines.allowed }()
	buf = buf[:0]
	sk, _ := it.R.(ZeroSkipper)
	if rr, ok := it.R.(Rereader); ok {
		lines.log = &lineLog{r: rr}
	}
	for {
		if err := ctx.Err(); err != nil {
			return fs, total, 0, err
		}
		if sk != nil {
			// buf holds zeros only and more lie ahead: they are skipped
			// as if read, so buf's bytes stand for the last of them.
			n, err := skipZeros(sk, buf)
			if err != nil {
				return fs, total, 0, err
			}
			base += n
			total += n
			lines.addCol(int(n))
		}
		n, err := io.ReadFull(it.R, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		total += int64(n)
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			// Whatever was read is still searched below, as if the item
			// ended there, and the error is reported.
			fs = appendFindings(fs, finish(&lines, buf, base, len(buf), it, ownMatches(m, buf, len(buf), base == 0, true), pending))
			return fs, total, 0, err
		}
		end := len(buf) // matches starting before end are this window's
		if !eof {
			end = safeEnd(buf, end-rules.MaxSpan)
		}
		if eof {
			fs = appendFindings(fs, finish(&lines, buf, base, end, it, ownMatches(m, buf, end, base == 0, true), pending))
			return fs, total, 0, lines.err
		}
		var done []Finding
		done, pending = window(&lines, buf, base, end, false, it, ownMatches(m, buf, end, base == 0, false), pending)
		fs = appendFindings(fs, done)
		if lines.err != nil {
			// The lines before this window could not be counted: its
			// findings are kept, and the item reported.
			return appendFindings(fs, pending), total, 0, lines.err
		}
		keep := copy(buf, buf[end:])
		buf = buf[:keep]
		base += int64(end)
	}
}

// finish handles the last window of an item: every pending finding is
// decided there, since no line goes on past the end.
func finish(lines *lineState, buf []byte, base int64, end int, it Item, hits found, pending []Finding) []Finding {
	done, rest := window(lines, buf, base, end, true, it, hits, pending)
	return appendFindings(done, rest)
}

// allZeros reports whether b holds only NUL bytes. Its ends are tested
// first, so that other data costs no pass over b.
func allZeros(b []byte) bool {
	return len(b) > 0 && b[0] == 0 && b[len(b)-1] == 0 && bytes.Count(b, []byte{0}) == len(b)
}

// appendFindings appends src to dst, and returns src itself when dst is
// empty. It doubles dst's capacity when it must grow: append grows large
// slices by a quarter, so the findings of a long line dense with tokens,
// 264 bytes each, would be copied five times over on their way to the
// report, and their cost would follow memory more than findings.
func appendFindings(dst, src []Finding) []Finding {
	if len(dst) == 0 {
		return src
	}
	if cap(dst)-len(dst) < len(src) {
		dst = slices.Grow(dst, max(len(src), len(dst)))
	}
	return append(dst, src...)
}

// appendFinding is append(fs, f) that doubles fs's capacity when it must
// grow, as appendFindings does.
func appendFinding(fs []Finding, f Finding) []Finding {
	if len(fs) == cap(fs) {
		fs = slices.Grow(fs, max(1, len(fs)))
	}
	return append(fs, f)
}

// found is what the search of one window found: the matches window reads,
// in order, or that the window holds NUL bytes only and was not searched.
type found struct {
	ms    []rules.Match
	zeros bool
}

// ownMatches searches buf, a window owning the matches that start before
// end, for the matches window reads: all of them up to the first that no
// context puts in the window; none when the window, neither first nor
// last, is NUL bytes only (a disk image, a core dump, a database file's
// free pages: no match starts there, and the search is a dozen passes where
// the test is one).
func ownMatches(m *rules.Matcher, buf []byte, end int, first, last bool) found {
	if !first && !last && allZeros(buf) {
		return found{zeros: true}
	}
	var ms []rules.Match
	for mt := range m.All(buf) {
		if mt.Start-mt.Lead > end && mt.Start > end+rules.MaxLead {
			break
		}
		ms = append(ms, mt)
	}
	return found{ms: ms}
}

// window places the matches hits holds, those that start in buf[:end] and
// before (see ownMatches), or when the window holds NUL bytes only, counts
// them as characters of the line that goes on. It returns the findings it
// could decide and those whose line goes on past buf (to be decided by the
// next window). buf[end:] is the overlap the next window starts with.
//
// The matches come as a slice, found before: ranging over an iterator
// here would make the loop's body a closure, and every variable it shares
// with window would be allocated, a dozen allocations for each file.
func window(lines *lineState, buf []byte, base int64, end int, last bool, it Item, hits found, pending []Finding) (done, rest []Finding) {
	if hits.zeros {
		// No match, line break or marker starts in the window, and
		// each byte is one character of the line that goes on.
		lines.addCol(end)
		return nil, pending
	}
	region := buf[:end]
	if base == 0 {
		lines.bom = len(buf) >= 2 && (buf[0] == 0xff && buf[1] == 0xfe || buf[0] == 0xfe && buf[1] == 0xff)
		lines.utf16, lines.be = utf16Text(buf[:min(len(buf), rules.MaxSpan)])
	}
	// Lines that began in an earlier window and were still open: they end
	// at the first terminator here, or go on past this window. The marker
	// counts only up to that line's end, which may lie in the overlap.
	if len(pending) > 0 {
		firstTerm := indexTermFrom(region, 0)
		upTo := indexTermFrom(buf, 0)
		if upTo < 0 {
			upTo = len(buf)
		}
		if !lines.noAllow && bytes.Contains(buf[:upTo], []byte(AllowMarker)) {
			lines.allowed += len(pending)
			pending = nil
		} else if firstTerm >= 0 || last {
			done = appendFindings(done, pending)
			pending = nil
		}
	}
	rest = pending
	var (
		envs      []rules.Environment // found once per window, at its first match
		envLines  []int
		envsFound bool
		cur       cursor // set at the first match, once lines is up to date
		placing   bool
		cur16     = utf16Cursor{buf: buf, base: base, lines: lines}
		// Whether the line of the match before holds the marker, and
		// where that line starts: matches on one line share it.
		allowFrom = -1
		allowLine bool
		allowLE16 bool
	)
	for _, mt := range hits.ms {
		// A match belongs to the window that holds its context, which
		// starts Lead bytes before it (a legacy token's name): the next
		// window, starting at end, would see the context cut. So this
		// window takes the matches whose context starts at end or
		// before, and, unless it is the first, none whose context starts
		// at its very first byte, which may be cut.
		owner := mt.Start - mt.Lead
		if owner > end {
			if mt.Start > end+rules.MaxLead {
				break
			}
			continue
		}
		if owner == 0 && base > 0 {
			continue
		}
		if !placing {
			// Lines are counted up to this window only now that it
			// holds a match (see lineLog).
			if err := lines.catchUp(); err != nil {
				lines.err = err
			}
			cur, placing = newCursor(buf, lines), true
		}
		cur.moveTo(mt.Start)
		lineStart := cur.lineStart // 0 when the line began earlier
		lineEnd := cur.lineEnd(mt.End)
		if lineStart != allowFrom {
			// Matches come in order, and no token holds a line end, so
			// the next one on this line has the same line end: the line
			// is searched once, however many tokens it holds.
			ownLine := buf[lineStart:]
			if lineEnd >= 0 {
				ownLine = buf[lineStart:lineEnd]
			}
			allowFrom = lineStart
			allowLine = bytes.Contains(ownLine, []byte(AllowMarker)) || lineStart == 0 && lines.allowOpen
			allowLE16 = bytes.Contains(ownLine, allowLE) || bytes.Contains(ownLine, allowBE)
		}
		allowed := !lines.noAllow && (allowLine || mt.Encoding == rules.EncodingUTF16 && allowLE16)
		line, col := lines.breaks+cur.breaks+1, cur.col+1
		if mt.Encoding == rules.EncodingUTF16 && lines.utf16 {
			line, col = cur16.place(mt.Start)
		} else if mt.Encoding == rules.EncodingUTF16 {
			// Each character before the token counted twice, with its
			// NUL, and the NUL of the line break once; a byte order mark,
			// which an editor does not show, as one character.
			col = (col + 1) / 2
			if line == 1 && lines.bom {
				col--
			}
		}
		if !envsFound {
			envs, envsFound = rules.Environments(buf), true
			envLines = rules.EnvironmentLines(buf, envs)
		}
		env, _ := rules.NearestOnLine(envs, envLines, cur.newlines, mt.Start)
		if mt.Encoding == rules.EncodingBase64 {
			// A URL encoded with the token, in the same decoded text,
			// names its environment before one merely near the text.
			if e, ok := rules.DecodedEnvironment(buf, mt); ok {
				env = e
			}
		}
		if mt.Encoding == rules.EncodingUTF16 && env == "" {
			// The URL is UTF-16 text too, which the search above,
			// on bytes, does not read.
			env = cur16.environment(mt.Start)
		}
		f := Finding{
			ID:          mt.ID,
			Kind:        mt.Kind,
			Fingerprint: mt.Fingerprint,
			Encoding:    mt.Encoding,
			Path:        it.Path,
			Location:    it.Location,
			Origin:      it.Origin,
			Offset:      base + int64(mt.Start),
			Line:        line,
			Column:      col,
			Environment: env,
		}
		switch {
		case allowed:
			lines.allowed++
		case lineEnd < 0 && !last:
			rest = appendFinding(rest, f)
		default:
			done = appendFinding(done, f)
		}
	}
	if !last {
		lines.later(buf, base, end, placing)
	}
	return done, rest
}
