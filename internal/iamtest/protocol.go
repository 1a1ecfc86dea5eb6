package iamtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

const (
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

var stsActions = map[string]bool{"AssumeRole": true, "GetCallerIdentity": true}

// writeActions are the actions that change state; Writes records them.
// GenerateCredentialReport is not one: read-only roles may call it.
var writeActions = writeActionSet()

func writeActionSet() map[string]bool {
	set := map[string]bool{}
	for action := range handlers {
		for _, p := range []string{"Create", "Update", "Delete", "Put", "Attach", "Detach", "Add", "Remove", "Tag", "Untag", "Upload", "Enable", "Deactivate"} {
			if strings.HasPrefix(action, p) {
				set[action] = true
			}
		}
	}
	return set
}

func writeResult(w http.ResponseWriter, ns, action string, out output, reqID string) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, ns)
	if out != nil {
		ser := &xmlShapeSerializer{}
		out.SerializeMembers(ser)
		fmt.Fprintf(&b, "<%sResult>", action)
		b.Write(ser.Bytes())
		fmt.Fprintf(&b, "</%sResult>", action)
	}
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", reqID, action)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

func writeError(w http.ResponseWriter, ns string, e *apiError, reqID string) {
	if ns == "" {
		ns = iamNamespace
	}
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>`, ns, typ, e.code)
	_ = xml.EscapeText(&b, []byte(e.msg))
	fmt.Fprintf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", reqID)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.status)
	_, _ = w.Write(b.Bytes())
}

// urlEncode percent-encodes a policy document the way IAM returns it: every
// byte but the RFC 3986 unreserved characters, so both url.QueryUnescape and
// url.PathUnescape restore it.
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Pagination.

const markerPrefix = "iamtest1:"

func encodeMarker(action string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(markerPrefix + action + ":" + strconv.Itoa(offset)))
}

func decodeMarker(action, m string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(raw), markerPrefix+action+":")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// pageBounds applies MaxItems (default 100, 1 to 1000) and Marker to a list
// of n items, returning the slice bounds, the next marker and IsTruncated.
func pageBounds(r *request, n int) (start, end int, marker *string, truncated bool, aerr *apiError) {
	limit := 100
	if v, ok, err := r.intParam("MaxItems"); err != nil {
		return 0, 0, nil, false, err
	} else if ok {
		if v < 1 || v > 1000 {
			return 0, 0, nil, false, validationError("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value %s", v, map[bool]string{true: "greater than or equal to 1", false: "less than or equal to 1000"}[v < 1])
		}
		limit = v
	}
	if m := r.get("Marker"); m != "" {
		off, ok := decodeMarker(r.action, m)
		if !ok {
			return 0, 0, nil, false, validationError("Invalid Marker.")
		}
		start = min(off, n)
	}
	end = min(start+limit, n)
	if end < n {
		s := encodeMarker(r.action, end)
		marker = &s
		truncated = true
	}
	return start, end, marker, truncated, nil
}

func paginate[T any](r *request, items []T) ([]T, *string, bool, *apiError) {
	start, end, marker, truncated, err := pageBounds(r, len(items))
	if err != nil {
		return nil, nil, false, err
	}
	return items[start:end], marker, truncated, nil
}

// Validation.

var (
	namePattern        = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathPattern        = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

func validName(name string, maxLen int) *apiError {
	if name == "" || len(name) > maxLen || !namePattern.MatchString(name) {
		return validationError("The specified value for name is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_- and be 1 to %d characters long.", maxLen)
	}
	return nil
}

func validPath(p string) *apiError {
	if len(p) > 512 || !pathPattern.MatchString(p) {
		return validationError("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return nil
}

// validPolicyDocument checks that a document is a JSON policy with
// statements, as IAM's parser does before storing it.
func validPolicyDocument(doc string) *apiError {
	var v map[string]any
	dec := json.NewDecoder(strings.NewReader(doc))
	if err := dec.Decode(&v); err != nil || dec.More() {
		return errorf(http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy.")
	}
	st, ok := v["Statement"]
	if !ok {
		return errorf(http.StatusBadRequest, "MalformedPolicyDocument", "Policy document must contain a Statement.")
	}
	var stmts []any
	switch st := st.(type) {
	case []any:
		stmts = st
	case map[string]any:
		stmts = []any{st}
	default:
		return errorf(http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy.")
	}
	for _, s := range stmts {
		m, ok := s.(map[string]any)
		if !ok {
			return errorf(http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy.")
		}
		if e, _ := m["Effect"].(string); e != "Allow" && e != "Deny" {
			return errorf(http.StatusBadRequest, "MalformedPolicyDocument", "Invalid effect: %v", m["Effect"])
		}
	}
	return nil
}

// policySize counts a document's characters the way IAM's size quotas do:
// white space does not count.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
