package handlers

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// A signed-in session as Portal writes it, plus every other type the
// typed format holds.
func sampleSessionValues() map[string]any {
	return map[string]any{
		keySessionID: "q3v1Xw0bYy7m2lS9cXoP4k",
		keyCSRF:      "V8nJ5hT6rA1dE0fG2hI3jq3v1Xw0bYy7m2lS9cXoP4k",
		keyRemember:  true,
		keyFlash:     "Your profile has been updated.\n<b>ünïcödé</b>",
		keyFlashErr:  false,
		"tries":      3,
		"neg":        -1 << 40,
		"at":         int64(1_795_000_000),
		"raw":        []byte{0, 1, 2, 0xC1, 0xff},
		"empty":      "",
	}
}

func TestSessionCodecRoundTrip(t *testing.T) {
	deadline := time.Date(2026, 12, 6, 10, 57, 51, 123456789, time.UTC)
	for _, values := range []map[string]any{sampleSessionValues(), {}, {"only": "one"}} {
		enc, err := sessionCodec{}.Encode(deadline, values)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		if got, want := enc[0], sessionCodecV1; got != want {
			t.Fatalf("first byte=%#x, want %#x (the typed format)", got, want)
		}
		gotDeadline, got, err := sessionCodec{}.Decode(enc)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if !gotDeadline.Equal(deadline) {
			t.Fatalf("deadline=%v, want %v", gotDeadline, deadline)
		}
		if !reflect.DeepEqual(got, values) {
			t.Fatalf("values=%#v, want %#v", got, values)
		}
	}
}

// A value the typed format has no tag for sends the whole session
// through gob: nothing is lost.
func TestSessionCodecFallsBackToGob(t *testing.T) {
	deadline := time.Now().Add(time.Hour).Round(0)
	values := sampleSessionValues()
	values["ratio"] = 0.5
	values["list"] = []string{"a", "b"}
	enc, err := sessionCodec{}.Encode(deadline, values)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if enc[0] != sessionCodecGob {
		t.Fatalf("a session with a float64 and a []string starts with %#x, want %#x (gob)", enc[0], sessionCodecGob)
	}
	gotDeadline, got, err := sessionCodec{}.Decode(enc)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !gotDeadline.Equal(deadline) || !reflect.DeepEqual(got, values) {
		t.Fatalf("Decode=%v %#v, want %v %#v", gotDeadline, got, deadline, values)
	}
}

// Malformed data is an error, never a panic: every truncation and
// single-byte change of a valid encoding, and hand-made cases.
func TestSessionCodecCorrupt(t *testing.T) {
	enc, err := sessionCodec{}.Encode(time.Now(), sampleSessionValues())
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(enc) {
		if _, _, err := (sessionCodec{}).Decode(enc[:i]); err == nil {
			t.Fatalf("Decode of the first %d of %d bytes: no error", i, len(enc))
		}
	}
	for i := 1; i < len(enc); i++ {
		for _, b := range []byte{0, 1, 0x7f, 0x80, 0xff, enc[i] ^ 0x55} {
			c := bytes.Clone(enc)
			c[i] = b
			_, _, _ = sessionCodec{}.Decode(c) // may or may not decode; must not panic
		}
	}
	v1 := sessionCodecV1
	untagged, err := scs.GobCodec{}.Encode(time.Now(), sampleSessionValues())
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"untagged gob":    untagged,
		"tagged non-gob":  {sessionCodecGob, 1, 2, 3},
		"trailing byte":   append(bytes.Clone(enc), 0),
		"huge count":      {v1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge key length": {v1, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 'k', tagBool, 1},
		"nanos ≥ 1e9":     append(binary.AppendUvarint([]byte{v1, 0}, 1e9), 0),
		"unknown tag":     {v1, 0, 0, 1, 1, 'k', 'z', 1},
		"bool 2":          {v1, 0, 0, 1, 1, 'k', tagBool, 2},
		"duplicate key":   {v1, 0, 0, 2, 1, 'k', tagBool, 1, 1, 'k', tagBool, 0},
		"varint overflow": {v1, 0, 0, 1, 1, 'k', tagInt64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"not gob":         {0x05, 1, 2, 3, 4, 5},
		"empty":           {},
	} {
		if _, v, err := (sessionCodec{}).Decode(data); err == nil {
			t.Errorf("%s: Decode=%v, want an error", name, v)
		}
	}
}

func FuzzSessionCodecDecode(f *testing.F) {
	enc, err := sessionCodec{}.Encode(time.Now(), sampleSessionValues())
	if err != nil {
		f.Fatal(err)
	}
	gobEnc, err := scs.GobCodec{}.Encode(time.Now(), sampleSessionValues())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add(append([]byte{sessionCodecGob}, gobEnc...))
	f.Add([]byte{sessionCodecV1})
	f.Fuzz(func(t *testing.T, data []byte) {
		deadline, values, err := sessionCodec{}.Decode(data)
		if err != nil || data[0] != sessionCodecV1 {
			return
		}
		// What decodes re-encodes to the same session.
		again, err := sessionCodec{}.Encode(deadline, values)
		if err != nil {
			t.Fatal(err)
		}
		d2, v2, err := sessionCodec{}.Decode(again)
		if err != nil || !d2.Equal(deadline) || !reflect.DeepEqual(v2, values) {
			t.Fatalf("re-decode=%v %v %v, want %v %v", d2, v2, err, deadline, values)
		}
	})
}
