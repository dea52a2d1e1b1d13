package handlers

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/alexedwards/scs/v2"
)

// sessionCodec is scs's Codec for Portal's sessions: a small typed binary
// format for the value types Portal stores (string, []byte, bool, int,
// int64), and scs's GobCodec for anything else. scs's default, gob,
// compiles a decoder for every session it reads, on every signed-in
// request (figures in docs/performance.md, BenchmarkSessionCodec).
//
// The first byte says which: sessionCodecV1 for the typed format,
// sessionCodecGob for a session holding a value of any other type (a Go
// handler override may store one), written with GobCodec as a whole so
// that nothing is lost (it still needs gob.Register for interface values,
// as with scs's default). Anything else is malformed.
//
// The typed format: the byte sessionCodecV1, the deadline (varint seconds,
// uvarint nanoseconds since the Unix epoch), the number of values
// (uvarint), then per value its key (uvarint length, bytes), a one-byte
// type tag and the value: a string or []byte as uvarint length and bytes,
// a bool as one byte 0 or 1, an int or int64 as a varint.
type sessionCodec struct{}

// The first byte of an encoded session.
const (
	sessionCodecV1  byte = 0xC1 // the typed format, version 1
	sessionCodecGob byte = 0xC2 // GobCodec's encoding follows
)

// Type tags of the typed format.
const (
	tagString byte = 's'
	tagBytes  byte = 'b'
	tagBool   byte = 't'
	tagInt    byte = 'i'
	tagInt64  byte = 'l'
)

var errSessionData = errors.New("session data: malformed")

var _ scs.Codec = sessionCodec{}

// Encode encodes the deadline and values.
func (sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	size := 1 + 2*binary.MaxVarintLen64 + binary.MaxVarintLen32
	for k, v := range values {
		size += binary.MaxVarintLen32 + len(k) + 1 + binary.MaxVarintLen64
		switch v := v.(type) {
		case string:
			size += len(v)
		case []byte:
			size += len(v)
		case bool, int, int64:
		default:
			enc, err := scs.GobCodec{}.Encode(deadline, values)
			if err != nil {
				return nil, err
			}
			return append([]byte{sessionCodecGob}, enc...), nil
		}
	}
	buf := make([]byte, 0, size)
	buf = append(buf, sessionCodecV1)
	buf = binary.AppendVarint(buf, deadline.Unix())
	buf = binary.AppendUvarint(buf, uint64(deadline.Nanosecond()))
	buf = binary.AppendUvarint(buf, uint64(len(values)))
	for k, v := range values {
		buf = append(binary.AppendUvarint(buf, uint64(len(k))), k...)
		switch v := v.(type) {
		case string:
			buf = append(binary.AppendUvarint(append(buf, tagString), uint64(len(v))), v...)
		case []byte:
			buf = append(binary.AppendUvarint(append(buf, tagBytes), uint64(len(v))), v...)
		case bool:
			b := byte(0)
			if v {
				b = 1
			}
			buf = append(buf, tagBool, b)
		case int:
			buf = binary.AppendVarint(append(buf, tagInt), int64(v))
		case int64:
			buf = binary.AppendVarint(append(buf, tagInt64), v)
		}
	}
	return buf, nil
}

// Decode decodes data written by Encode. Malformed data is an error (scs
// then fails the request), never a panic.
func (sessionCodec) Decode(data []byte) (time.Time, map[string]any, error) {
	switch {
	case len(data) == 0:
		return time.Time{}, nil, errSessionData
	case data[0] == sessionCodecGob:
		return scs.GobCodec{}.Decode(data[1:])
	case data[0] != sessionCodecV1:
		return time.Time{}, nil, errSessionData
	}
	d := sessionDecoder{b: data[1:]}
	sec := d.varint()
	nsec := d.uvarint()
	n := d.uvarint()
	// Every value takes at least 3 bytes (key length, tag, value).
	if d.bad || nsec >= 1e9 || n > uint64(len(d.b))/3 {
		return time.Time{}, nil, errSessionData
	}
	values := make(map[string]any, n)
	for range n {
		k := d.str()
		if d.bad || len(d.b) == 0 {
			return time.Time{}, nil, errSessionData
		}
		if _, dup := values[k]; dup {
			return time.Time{}, nil, errSessionData
		}
		tag := d.b[0]
		d.b = d.b[1:]
		switch tag {
		case tagString:
			values[k] = d.str()
		case tagBytes:
			values[k] = []byte(d.str())
		case tagBool:
			if len(d.b) == 0 || d.b[0] > 1 {
				return time.Time{}, nil, errSessionData
			}
			values[k] = d.b[0] == 1
			d.b = d.b[1:]
		case tagInt:
			v := d.varint()
			if v < math.MinInt || v > math.MaxInt {
				d.bad = true
			}
			values[k] = int(v)
		case tagInt64:
			values[k] = d.varint()
		default:
			return time.Time{}, nil, errSessionData
		}
		if d.bad {
			return time.Time{}, nil, errSessionData
		}
	}
	if len(d.b) != 0 {
		return time.Time{}, nil, errSessionData
	}
	return time.Unix(sec, int64(nsec)), values, nil
}

// sessionDecoder reads the typed format; a read past the end or a bad
// number sets bad and returns a zero value.
type sessionDecoder struct {
	b   []byte
	bad bool
}

func (d *sessionDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *sessionDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *sessionDecoder) str() string {
	l := d.uvarint()
	if d.bad || l > uint64(len(d.b)) {
		d.bad = true
		return ""
	}
	s := string(d.b[:l])
	d.b = d.b[l:]
	return s
}
