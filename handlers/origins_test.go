package handlers

import (
	"slices"
	"testing"
)

func TestParseOrigins(t *testing.T) {
	got, err := ParseOrigins(" https://App.Example.com , http://localhost:3000,https://app.example.com:443,http://[::1]:8080/")
	want := []string{"https://app.example.com", "http://localhost:3000", "http://[::1]:8080"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseOrigins = %v, %v; want %v", got, err, want)
	}
	if got, err := ParseOrigins(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{"*", "https://*.example.com", "app.example.com", "https://app.example.com/path",
		"https://app.example.com?x", "https://u@app.example.com", "javascript:alert(1)", "ftp://example.com", "https://"} {
		if got, err := ParseOrigins(bad); err == nil {
			t.Errorf("ParseOrigins(%q) = %v, want an error", bad, got)
		}
	}
}
