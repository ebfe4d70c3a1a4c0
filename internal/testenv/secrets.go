package testenv

import (
	"encoding/base64"
	"net/url"
)

// SecretForm is one way a secret could be written down.
type SecretForm struct {
	Form, Value string
}

// SecretForms returns the distinct forms a leak search looks for: raw,
// base64 in the standard and URL alphabets (unpadded: a prefix of the
// padded form, so it finds both), URL- and path-encoded.
func SecretForms(v string) []SecretForm {
	var forms []SecretForm
	seen := map[string]bool{}
	for _, f := range []SecretForm{
		{"raw", v},
		{"base64", base64.RawStdEncoding.EncodeToString([]byte(v))},
		{"base64url", base64.RawURLEncoding.EncodeToString([]byte(v))},
		{"url-encoded", url.QueryEscape(v)},
		{"path-encoded", url.PathEscape(v)},
	} {
		if !seen[f.Value] {
			seen[f.Value] = true
			forms = append(forms, f)
		}
	}
	return forms
}
