package iamtest

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
)

// DefaultAccountID is the account ambient credentials act on unless
// [WithDefaultAccount] says otherwise.
const DefaultAccountID = "123456789012"

// Faults are the probabilities, each in [0,1], that a request fails in a
// given way. Faulted requests never apply their write, except with
// DropAfterCommit, where a dropped write action is applied and only its
// response is lost.
type Faults struct {
	// Throttle answers 400 with the code Throttling.
	Throttle float64
	// ServerError answers 500 or 503 with the code ServiceFailure.
	ServerError float64
	// Drop closes the connection without a response.
	Drop float64
	// DropAfterCommit applies a dropped write before closing the connection.
	DropAfterCommit bool
	// WriteRate, when positive, throttles like IAM does: each account
	// accepts at most WriteRate write requests a second (a token bucket
	// holding one second's worth), and answers Throttling beyond that,
	// whatever the random rates above say.
	WriteRate float64
	// Actions restricts faults to these actions; empty means every action.
	Actions []string
	// Seed makes the sequence of faults reproducible.
	Seed int64
}

// Option configures a [Server].
type Option func(*Server)

// WithDefaultAccount sets the account that ambient credentials without an
// account of their own act on.
func WithDefaultAccount(id string) Option {
	return func(s *Server) { s.defaultAccount = id }
}

// WithLatency makes every request wait d before it is answered (honouring
// request cancellation), to make benchmarks' call counts visible as time.
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = d }
}

// WithFaults injects faults from the first request on.
func WithFaults(f Faults) Option {
	return func(s *Server) { s.setFaults(f) }
}

// InProcess makes [Server.AWSConfig] hand requests to the server's handler
// directly instead of over a loopback connection: the SDK serializes, signs,
// retries and parses exactly as over HTTP, at a fraction of the cost, for
// tests that make tens of thousands of calls. [Server.Env] and [Server.URL]
// still reach the server over HTTP.
func InProcess() Option {
	return func(s *Server) { s.inProcess = true }
}

// WithClock sets the clock used for creation dates, reports and the write
// rate of Faults.WriteRate.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.clock = now }
}

// Call is one request of a write action, in the order the server received it.
type Call struct {
	Account string
	Action  string
	// Params are the request's parameters without Action and Version.
	Params map[string]string
	// Error is the error code answered, "Dropped" for a dropped connection,
	// or empty when the write succeeded.
	Error string
	// NoOp is set when the write succeeded but found nothing to change, where
	// IAM answers success rather than an error: attaching a policy that is
	// attached, adding a member to a group twice, untagging a key the user
	// does not have. Tests that require every write to do something (no
	// redundant operations) check it together with Error.
	NoOp bool
}

type principal struct {
	account string
	role    string // empty for ambient credentials
	session string
}

// Server is a fake IAM and STS endpoint. Create it with [NewServer]; it is
// safe for concurrent use.
type Server struct {
	// URL is the base endpoint, e.g. http://127.0.0.1:12345.
	URL string

	ts *httptest.Server
	tb testing.TB

	mu             sync.Mutex
	defaultAccount string
	accounts       map[string]*Account
	creds          map[string]principal // access key ID → caller
	calls          map[string]map[string]int
	writes         []Call
	faults         Faults
	rng            *rand.Rand
	latency        time.Duration
	propagation    time.Duration // WithPropagationDelay (propagation.go)
	clock          func() time.Time
	seq            uint64
	scripted       []scriptedFault    // errors to answer next, in order
	crash          *crashPoint        // CrashAfter's point, until Recover
	inFlight       int                // requests being answered now
	peakInFlight   int                // most requests answered at once
	gathers        map[string]*gather // action → requests held until enough arrive
	inProcess      bool               // AWSConfig calls the handler directly
	buckets        map[string]*bucket // account → write-rate token bucket
	sm             secretsState       // Secrets Manager (secretsmanager.go)
	orgs           orgRegistry        // AWS Organizations (organizations.go)
}

// bucket is a token bucket of write requests for Faults.WriteRate.
type bucket struct {
	tokens float64
	last   time.Time
}

// take reports whether a write may pass at now under rate (tokens a second,
// at most one second's worth held).
func (b *bucket) take(now time.Time, rate float64) bool {
	if b.last.IsZero() {
		b.tokens, b.last = rate, now
	}
	b.tokens = min(rate, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// NewServer starts a fake IAM and STS server. With a non-nil tb the server is
// closed at the end of the test and seeding mistakes fail the test.
func NewServer(tb testing.TB, opts ...Option) *Server {
	s := &Server{
		tb:             tb,
		defaultAccount: DefaultAccountID,
		accounts:       map[string]*Account{},
		creds:          map[string]principal{},
		calls:          map[string]map[string]int{},
		clock:          time.Now,
	}
	s.setFaults(Faults{})
	for _, o := range opts {
		o(s)
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.ts.URL
	if tb != nil {
		tb.Cleanup(s.Close)
	}
	s.Account(s.defaultAccount)
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// Account returns the state of an account, creating an empty one the first
// time. id must be 12 digits.
func (s *Server) Account(id string) *Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.account(id)
}

func (s *Server) account(id string) *Account {
	if a, ok := s.accounts[id]; ok {
		return a
	}
	if !accountIDPattern.MatchString(id) {
		s.fatalf("account ID %q is not 12 digits", id)
	}
	a := newAccount(s, id)
	s.accounts[id] = a
	s.creds[ambientKeyID(id)] = principal{account: id}
	return a
}

// ambientKeyID is the access key ID of an account's ambient identity: 20
// characters like AWS's, holding the whole account ID so no two accounts
// share one (accounts that differ only in their first digits did before).
func ambientKeyID(account string) string { return "AKIA" + account + "TEST" }

func ambientSecret(account string) string { return "iamtest-secret-" + account }

// Credentials returns static credentials that act on the account as its
// ambient identity (the user arn:aws:iam::<account>:user/iamtest).
func (s *Server) Credentials(accountID string) aws.Credentials {
	s.Account(accountID)
	return aws.Credentials{
		AccessKeyID:     ambientKeyID(accountID),
		SecretAccessKey: ambientSecret(accountID),
		Source:          "iamtest",
	}
}

// AWSConfig returns an SDK configuration whose static credentials act on the
// account, pointed at the server, in us-east-1, with the SDK's default
// retryer. It loads nothing from the process environment.
func (s *Server) AWSConfig(accountID string) aws.Config {
	c := s.Credentials(accountID)
	var client aws.HTTPClient = bodyWithoutWriteTo{s.ts.Client()}
	if s.inProcess {
		client = inProcess{s}
	}
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   client,
		Retryer:      func() aws.Retryer { return retry.NewStandard() },
	}
}

// inProcess hands each request of the SDK to the server's handler in the
// calling goroutine and gives back what the handler wrote: the same
// requests and answers as over a connection, without the connection. A
// dropped connection is the error a client sees when the peer hangs up.
type inProcess struct{ s *Server }

func (c inProcess) Do(r *http.Request) (resp *http.Response, err error) {
	rec := httptest.NewRecorder()
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); !ok || !errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			resp, err = nil, fmt.Errorf("%s %s: %w", r.Method, r.URL, io.ErrUnexpectedEOF)
		}
	}()
	in := r.Clone(r.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	c.s.serveHTTP(rec, in)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	res := rec.Result()
	res.Request = r
	return res, nil
}

// bodyWithoutWriteTo sends requests with a body that offers only Read and
// Close. The SDK closes a request's body as soon as response headers arrive,
// and its body's WriteTo then reports io.EOF as an error; when a local server
// answers before net/http has finished its final read of the body, the
// transport takes that for a write error and closes the connection under a
// response still being read, which the SDK retries. Against AWS the network
// hides this race; against an in-process server it would add spurious calls.
type bodyWithoutWriteTo struct{ c *http.Client }

func (b bodyWithoutWriteTo) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r2 := *r
		r2.Body = readCloser{r.Body}
		r = &r2
	}
	return b.c.Do(r)
}

type readCloser struct{ io.ReadCloser }

// Env returns the environment variables that make the AWS SDK's default
// configuration act on the account through this server, for tests that run
// the built binary.
func (s *Server) Env(accountID string) map[string]string {
	c := s.Credentials(accountID)
	return map[string]string{
		"AWS_ENDPOINT_URL":      s.URL,
		"AWS_ACCESS_KEY_ID":     c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": c.SecretAccessKey,
		"AWS_REGION":            "us-east-1",
	}
}

// SetFaults replaces the injected faults at runtime.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaults(f)
}

func (s *Server) setFaults(f Faults) {
	s.faults = f
	s.faults.Actions = slices.Clone(f.Actions)
	s.buckets = map[string]*bucket{}
	s.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x1a3))
}

// FailNext makes the next n requests of action (on any account) fail with
// the error code, without applying them: IAM's status for the code
// (NoSuchEntity 404, EntityAlreadyExists/DeleteConflict/LimitExceeded/
// ConcurrentModification 409, AccessDenied 403, ServiceFailure 500, others
// 400), or a dropped connection for the code "Dropped". The code
// "DroppedAfterCommit" applies the request, then drops the connection: the
// write happened, only its answer is lost (recorded, like "Dropped", with
// the Error "Dropped").
func (s *Server) FailNext(action, code string, n int) {
	s.FailNextMatching(action, nil, code, n)
}

// FailNextMatching is FailNext for only the requests of action whose
// parameters include every key and value of match (for example
// {"PolicyName": "scratch"}), so that a test fails one operation among
// several of the same action.
func (s *Server) FailNextMatching(action string, match map[string]string, code string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.scripted = append(s.scripted, scriptedFault{action: action, match: copyMap(match), code: code})
	}
}

// FailAfter is FailNext for the requests of action that come after the
// next request of trigger (which itself is answered as usual): a test fails
// the call that checks a write's outcome without failing the same call made
// before the write.
func (s *Server) FailAfter(trigger, action, code string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.scripted = append(s.scripted, scriptedFault{action: action, code: code, after: trigger})
	}
}

// CrashAfter simulates a runner that dies right after the n-th request of
// action (counting from now, on any account, IAM or Secrets Manager) whose
// parameters include match: that request is applied and answered, and
// every request after it, of any action, is refused until Recover (with
// AccessDenied, which no client retries, so the dead runner's remaining
// calls end at once and change nothing). A test runs a job into the crash,
// then runs it again after Recover, to prove the job resumes from what AWS
// holds.
func (s *Server) CrashAfter(action string, match map[string]string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crash = &crashPoint{action: action, match: copyMap(match), left: n}
}

// Recover ends a crash CrashAfter started (or one still waiting for its
// request): requests are answered again.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crash = nil
}

// Crashed reports whether CrashAfter's request was answered, so the server
// now refuses every request.
func (s *Server) Crashed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.crash != nil && s.crash.left == 0
}

// crashPoint is CrashAfter's request, counted down to zero.
type crashPoint struct {
	action string
	match  map[string]string
	left   int
}

// crashed reports whether the request must be refused because the crash
// happened, and counts the request towards it otherwise; the caller holds
// s.mu.
func (s *Server) crashed(action string, form url.Values) bool {
	c := s.crash
	switch {
	case c == nil:
		return false
	case c.left == 0:
		return true
	case c.action == action && matches(c.match, form):
		c.left--
	}
	return false
}

func matches(match map[string]string, form url.Values) bool {
	for k, v := range match {
		if form.Get(k) != v {
			return false
		}
	}
	return true
}

// droppedAfterCommit is the scripted code of a request that is applied
// and whose connection is then dropped.
const droppedAfterCommit = "DroppedAfterCommit"

// scriptedFault is one error FailNextMatching asked for.
type scriptedFault struct {
	action string
	match  map[string]string
	code   string
	// after, until a request of that action is seen, holds the fault back.
	after string
}

// takeScripted removes and returns the code of the first scripted fault
// that applies to the request, or ""; "AccessDenied" for every request
// after CrashAfter's. The caller holds s.mu.
func (s *Server) takeScripted(action string, form url.Values) string {
	if s.crashed(action, form) {
		return "AccessDenied"
	}
	code := ""
	for i, f := range s.scripted {
		if f.after == "" && f.action == action && matches(f.match, form) {
			s.scripted, code = slices.Delete(s.scripted, i, i+1), f.code
			break
		}
	}
	for i := range s.scripted {
		if s.scripted[i].after == action {
			s.scripted[i].after = ""
		}
	}
	return code
}

func statusForCode(code string) int {
	switch code {
	case "NoSuchEntity", "ReportInProgress", "NotSupportedService":
		return http.StatusNotFound
	case "EntityAlreadyExists", "DeleteConflict", "LimitExceeded", "ConcurrentModification", "EntityTemporarilyUnmodifiable", "DuplicateCertificate":
		return http.StatusConflict
	case "AccessDenied", "InvalidClientTokenId", "ExpiredToken", "InvalidAuthenticationCode":
		return http.StatusForbidden
	case "ServiceFailure", "InternalFailure":
		return http.StatusInternalServerError
	case "ServiceUnavailable":
		return http.StatusServiceUnavailable
	case "ReportNotPresent":
		return http.StatusGone
	}
	return http.StatusBadRequest
}

// SetLatency changes the per-request latency at runtime.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Calls returns the number of requests per account and action, retries and
// faulted requests included.
func (s *Server) Calls() map[string]map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[string]int, len(s.calls))
	for acct, m := range s.calls {
		c := make(map[string]int, len(m))
		for k, v := range m {
			c[k] = v
		}
		out[acct] = c
	}
	return out
}

// CallCount returns the number of requests of one action on one account.
func (s *Server) CallCount(account, action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[account][action]
}

// TotalCalls returns the number of requests on one account.
func (s *Server) TotalCalls(account string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.calls[account] {
		n += v
	}
	return n
}

// ResetCalls forgets the call counts, the recorded writes and the peak of
// requests in flight.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]map[string]int{}
	s.writes = nil
	s.peakInFlight = s.inFlight
}

// PeakInFlight is the largest number of authenticated requests the server
// was answering at once, for tests of a client's concurrency bound.
func (s *Server) PeakInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakInFlight
}

// Writes returns every request of a write action received, in order.
func (s *Server) Writes() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.writes))
	for i, w := range s.writes {
		w.Params = copyMap(w.Params)
		out[i] = w
	}
	return out
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (s *Server) now() time.Time { return s.clock().UTC().Truncate(time.Second) }

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// nextSeq returns the next value of the server's sequence, under its lock.
func (s *Server) nextSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

// newID returns a unique, deterministic ID with an IAM prefix (AIDA, AGPA…).
func (s *Server) newID(prefix string) string {
	seq := s.nextSeq()
	n := seq*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	b := []byte(prefix)
	for len(b) < 21 {
		b = append(b, idAlphabet[n%32])
		n /= 32
		if n == 0 {
			n = seq*2654435761 + uint64(len(b))
		}
	}
	return string(b)
}

func (s *Server) newSecret() string {
	return fmt.Sprintf("iamtestSecret%027d", s.nextSeq())
}

func (s *Server) newCertID() string {
	return fmt.Sprintf("%032X", s.nextSeq()*0x9E3779B97F4A7C15)
}

// apiError is an error answered in the Query protocol's ErrorResponse.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func noSuchEntity(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, "NoSuchEntity", format, args...)
}

func alreadyExists(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, "EntityAlreadyExists", format, args...)
}

func deleteConflict(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, "DeleteConflict", format, args...)
}

func limitExceeded(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, "LimitExceeded", format, args...)
}

func validationError(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

func invalidInput(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "InvalidInput", format, args...)
}

// request is one parsed request being handled.
type request struct {
	action string
	form   url.Values
	caller principal
	acct   *Account
	srv    *Server
	now    time.Time
	// noop is set by a write handler that succeeds without changing
	// anything (Call.NoOp).
	noop bool
}

func (r *request) get(name string) string { return r.form.Get(name) }

func (r *request) has(name string) bool { _, ok := r.form[name]; return ok }

// list returns a Query-protocol list parameter (Name.member.N).
func (r *request) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		k := name + ".member." + strconv.Itoa(i)
		if _, ok := r.form[k]; !ok {
			return out
		}
		out = append(out, r.form.Get(k))
	}
}

func (r *request) tags(name string) []Tag {
	var out []Tag
	for i := 1; ; i++ {
		p := name + ".member." + strconv.Itoa(i)
		if _, ok := r.form[p+".Key"]; !ok {
			return out
		}
		out = append(out, Tag{Key: r.form.Get(p + ".Key"), Value: r.form.Get(p + ".Value")})
	}
}

func (r *request) boolParam(name string) (bool, *apiError) {
	v := r.get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be a boolean", v, lowerFirst(name))
	}
	return b, nil
}

func (r *request) intParam(name string) (int, bool, *apiError) {
	v := r.get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false, validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be an integer", v, lowerFirst(name))
	}
	return n, true, nil
}

// required returns a required string parameter or IAM's validation error.
func (r *request) required(name string) (string, *apiError) {
	v := r.get(name)
	if v == "" {
		return "", validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
	}
	return v, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

type handler func(r *request) (output, *apiError)

// output is an SDK output shape.
type output interface {
	SerializeMembers(smithy.ShapeSerializer)
}

func (s *Server) serveHTTP(w http.ResponseWriter, hr *http.Request) {
	if strings.HasPrefix(hr.Header.Get("X-Amz-Target"), smTargetPrefix) {
		s.serveSecretsManager(w, hr)
		return
	}
	if isOrganizations(hr) {
		s.serveOrganizations(w, hr)
		return
	}
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, "", errorf(http.StatusBadRequest, "MalformedQueryString", "%v", err), "")
		return
	}
	for k, v := range hr.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	action := form.Get("Action")
	ns := iamNamespace
	if stsActions[action] {
		ns = stsNamespace
	}

	s.mu.Lock()
	reqID := s.requestID()
	caller, aerr := s.caller(hr)
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, ns, aerr, reqID)
		return
	}
	if s.calls[caller.account] == nil {
		s.calls[caller.account] = map[string]int{}
	}
	s.calls[caller.account][action]++
	latency := s.latency
	fault := s.rollFault(action)
	if f := s.faults.WriteRate; f > 0 && writeActions[action] {
		b := s.buckets[caller.account]
		if b == nil {
			b = &bucket{}
			s.buckets[caller.account] = b
		}
		if !b.take(s.clock(), f) {
			fault = faultThrottle
		}
	}
	status5xx := http.StatusInternalServerError
	if fault == faultServerError && s.rng.IntN(2) == 0 {
		status5xx = http.StatusServiceUnavailable
	}
	commitDropped := s.faults.DropAfterCommit && writeActions[action]
	scripted := s.takeScripted(action, form)
	if writeActions[action] {
		params := map[string]string{}
		for k := range form {
			if k != "Action" && k != "Version" {
				params[k] = form.Get(k)
			}
		}
		s.writes = append(s.writes, Call{Account: caller.account, Action: action, Params: params})
	}
	writeIndex := len(s.writes) - 1
	s.inFlight++
	s.peakInFlight = max(s.peakInFlight, s.inFlight)
	g := s.gathers[action]
	s.mu.Unlock()
	defer s.leave()

	g.wait(hr.Context())
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-hr.Context().Done():
			t.Stop()
			s.recordWriteError(action, writeIndex, "Canceled")
			return
		}
	}

	switch {
	case scripted == droppedAfterCommit:
		_, _, _ = s.handle(action, form, caller)
		s.recordWriteError(action, writeIndex, "Dropped")
		drop(w)
		return
	case scripted == "Dropped":
		s.recordWriteError(action, writeIndex, scripted)
		drop(w)
		return
	case scripted != "":
		s.recordWriteError(action, writeIndex, scripted)
		writeError(w, ns, errorf(statusForCode(scripted), scripted, "Injected %s for %s.", scripted, action), reqID)
		return
	}

	switch fault {
	case faultThrottle:
		s.recordWriteError(action, writeIndex, "Throttling")
		writeError(w, ns, errorf(http.StatusBadRequest, "Throttling", "Rate exceeded"), reqID)
		return
	case faultServerError:
		s.recordWriteError(action, writeIndex, "ServiceFailure")
		writeError(w, ns, errorf(status5xx, "ServiceFailure", "Request processing has failed because of an unknown error, exception or failure."), reqID)
		return
	case faultDrop:
		if commitDropped {
			_, _, _ = s.handle(action, form, caller)
		}
		s.recordWriteError(action, writeIndex, "Dropped")
		drop(w)
		return
	case faultNone:
	}

	out, noop, aerr := s.handle(action, form, caller)
	if aerr != nil {
		s.recordWriteError(action, writeIndex, aerr.code)
		writeError(w, ns, aerr, reqID)
		return
	}
	if noop {
		s.recordNoOp(action, writeIndex)
	}
	writeResult(w, ns, action, out, reqID)
}

// leave counts a request as answered.
func (s *Server) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
}

// recordNoOp marks the recorded write i as one that changed nothing.
func (s *Server) recordNoOp(action string, i int) {
	s.updateWrite(action, i, func(c *Call) { c.NoOp = true })
}

// recordWriteError sets the error code answered to the recorded write i.
func (s *Server) recordWriteError(action string, i int, code string) {
	s.updateWrite(action, i, func(c *Call) { c.Error = code })
}

func (s *Server) updateWrite(action string, i int, set func(*Call)) {
	if !writeActions[action] || i < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < len(s.writes) {
		set(&s.writes[i])
	}
}

func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

type faultKind int

const (
	faultNone faultKind = iota
	faultThrottle
	faultServerError
	faultDrop
)

func (s *Server) rollFault(action string) faultKind {
	f := s.faults
	if f.Throttle == 0 && f.ServerError == 0 && f.Drop == 0 {
		return faultNone
	}
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, action) {
		return faultNone
	}
	x := s.rng.Float64()
	switch {
	case x < f.Throttle:
		return faultThrottle
	case x < f.Throttle+f.ServerError:
		return faultServerError
	case x < f.Throttle+f.ServerError+f.Drop:
		return faultDrop
	}
	return faultNone
}

func (s *Server) requestID() string {
	s.seq++
	n := s.seq * 0x9E3779B97F4A7C15
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", uint32(n>>32), uint16(n>>16), uint16(n), uint16(s.seq), s.seq)
}

var credentialPattern = regexp.MustCompile(`Credential=([^/,\s]+)/`)

// caller finds who signed the request from the SigV4 Authorization header.
func (s *Server) caller(hr *http.Request) (principal, *apiError) {
	m := credentialPattern.FindStringSubmatch(hr.Header.Get("Authorization"))
	if m == nil {
		return principal{account: s.defaultAccount}, errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	p, ok := s.creds[m[1]]
	if !ok {
		return principal{account: s.defaultAccount}, errorf(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	return p, nil
}

func (p principal) arn() string {
	if p.role != "" {
		return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", p.account, p.role, p.session)
	}
	return fmt.Sprintf("arn:aws:iam::%s:user/iamtest", p.account)
}

// handle runs one action against the state. IAM actions run under the
// caller's account lock only, so accounts do not wait for each other; STS
// actions read across accounts and take the locks they need themselves.
// It reports whether a write found nothing to change (Call.NoOp).
func (s *Server) handle(action string, form url.Values, caller principal) (output, bool, *apiError) {
	h, ok := handlers[action]
	if !ok {
		return nil, false, errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, form.Get("Version"))
	}
	r := &request{action: action, form: form, caller: caller, acct: s.Account(caller.account), srv: s, now: s.now()}
	if stsActions[action] {
		out, aerr := h(r)
		return out, false, aerr
	}
	r.acct.mu.Lock()
	defer r.acct.mu.Unlock()
	if aerr := s.authorize(r); aerr != nil {
		return nil, false, aerr
	}
	if writeActions[action] {
		r.acct.version++
	}
	out, aerr := h(r)
	return out, r.noop, aerr
}

// authorize enforces an assumed role's allow-list.
func (s *Server) authorize(r *request) *apiError {
	if r.caller.role == "" || stsActions[r.action] {
		return nil
	}
	role, ok := r.acct.roles[key(r.caller.role)]
	if !ok || len(role.Allow) == 0 {
		return nil
	}
	want := "iam:" + r.action
	for _, a := range role.Allow {
		if matchAction(a, want) {
			return nil
		}
	}
	return errorf(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: %s on resource: %s",
		r.caller.arn(), want, resourceARN(r))
}

// matchAction reports whether an allow-list entry (a case-insensitive
// action pattern with * and ? wildcards, iam: when it names no service)
// covers action.
func matchAction(pattern, action string) bool {
	return actionPattern(pattern).MatchString(strings.ToLower(action))
}

// actionPatterns holds each allow-list entry compiled once: every request
// of an assumed role is checked against its list.
var actionPatterns sync.Map // pattern → *regexp.Regexp

func actionPattern(pattern string) *regexp.Regexp {
	if re, ok := actionPatterns.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	p := pattern
	if !strings.Contains(p, ":") {
		p = "iam:" + p
	}
	re := regexp.MustCompile("^" + strings.ReplaceAll(strings.ReplaceAll(regexp.QuoteMeta(strings.ToLower(p)), `\*`, ".*"), `\?`, ".") + "$")
	actionPatterns.Store(pattern, re)
	return re
}

// resourceARN names the resource an action was denied on, as IAM does.
func resourceARN(r *request) string {
	a := r.acct
	switch {
	case r.get("UserName") != "":
		if u, ok := a.users[key(r.get("UserName"))]; ok {
			return u.ARN
		}
		return a.arn("user", "/", r.get("UserName"))
	case r.get("GroupName") != "":
		if g, ok := a.groups[key(r.get("GroupName"))]; ok {
			return g.ARN
		}
		return a.arn("group", "/", r.get("GroupName"))
	case r.get("PolicyArn") != "":
		return r.get("PolicyArn")
	case r.get("PolicyName") != "":
		return a.arn("policy", "/", r.get("PolicyName"))
	}
	return a.arn("user", "/", "*")
}
