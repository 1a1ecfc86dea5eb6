package iamtest

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Secrets Manager's quotas and formats this fake enforces.
const (
	maxSecretTags      = 50
	maxSecretVersions  = 100
	minRequestTokenLen = 32
	maxRequestTokenLen = 64
)

// secretNamePattern and maxSecretName are Secrets Manager's rule for secret
// names (1 to 512 of these ASCII characters), the length checked apart so
// the pattern compiles cheaply.
var secretNamePattern = regexp.MustCompile(`^[a-zA-Z0-9/_+=.@-]+$`)

const maxSecretName = 512

// epoch is a timestamp in the JSON protocols' default format, seconds since
// the epoch as a number.
type epoch time.Time

// MarshalJSON writes seconds with millisecond precision, as AWS does.
func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)), nil
}

type createSecretOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionID string `json:"VersionId,omitempty"`
}

type putSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

type describeSecretOutput struct {
	ARN                string              `json:"ARN"`
	Name               string              `json:"Name"`
	Description        string              `json:"Description,omitempty"`
	CreatedDate        epoch               `json:"CreatedDate"`
	LastChangedDate    epoch               `json:"LastChangedDate"`
	Tags               []smTag             `json:"Tags,omitempty"`
	VersionIDsToStages map[string][]string `json:"VersionIdsToStages,omitempty"`
}

type getSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	SecretString  string   `json:"SecretString"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   epoch    `json:"CreatedDate"`
}

// find resolves a SecretId (a name, a full ARN, or an ARN without the six
// random characters) in the caller's account and region.
func (st *secretsState) find(r *smRequest, id string) (*Secret, *apiError) {
	if id == "" {
		return nil, smError("InvalidParameterException", "You must provide a SecretId.")
	}
	if !strings.HasPrefix(id, "arn:") {
		if sec, ok := st.secrets[secretKey(r.account, r.region, id)]; ok {
			return sec, nil
		}
		return nil, smNotFound()
	}
	prefix := "arn:aws:secretsmanager:" + r.region + ":" + r.account + ":secret:"
	for _, sec := range st.secrets {
		if !strings.HasPrefix(sec.ARN, prefix) {
			continue
		}
		if sec.ARN == id || prefix+sec.Name == id {
			return sec, nil
		}
	}
	return nil, smNotFound()
}

// requestToken checks a ClientRequestToken; nil when the request had none.
func requestToken(in smInput) (string, bool, *apiError) {
	if in.ClientRequestToken == nil {
		return "", false, nil
	}
	t := *in.ClientRequestToken
	if n := len(t); n < minRequestTokenLen || n > maxRequestTokenLen {
		return "", false, smError("ValidationException", "1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must have length between %d and %d", t, minRequestTokenLen, maxRequestTokenLen)
	}
	return t, true, nil
}

func checkValue(in smInput) *apiError {
	if in.SecretString != nil && in.SecretBinary != nil {
		return smError("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if in.SecretBinary != nil {
		return smError("InvalidParameterException", "This fake stores only SecretString values.")
	}
	return nil
}

func (sec *Secret) version(id string) *SecretVersion {
	for i := range sec.Versions {
		if sec.Versions[i].ID == id {
			return &sec.Versions[i]
		}
	}
	return nil
}

func createSecret(st *secretsState, r *smRequest) (any, *apiError) {
	in := r.body
	if len(in.Name) > maxSecretName || !secretNamePattern.MatchString(in.Name) {
		return nil, smError("InvalidParameterException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	if aerr := checkValue(in); aerr != nil {
		return nil, aerr
	}
	token, hasToken, aerr := requestToken(in)
	if aerr != nil {
		return nil, aerr
	}
	if len(in.Tags) > maxSecretTags {
		return nil, smError("InvalidParameterException", "Number of tags exceeds the limit of %d.", maxSecretTags)
	}
	if sec, ok := st.secrets[secretKey(r.account, r.region, in.Name)]; ok {
		// A retried CreateSecret (same token, same value) succeeds again.
		if v := sec.version(token); hasToken && v != nil && in.SecretString != nil && v.String == *in.SecretString {
			return createSecretOutput{ARN: sec.ARN, Name: sec.Name, VersionID: v.ID}, nil
		}
		return nil, smError("ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
	}
	sec := &Secret{
		Name:            in.Name,
		ARN:             r.srv.secretARN(r.account, r.region, in.Name),
		Description:     in.Description,
		CreatedDate:     r.now,
		LastChangedDate: r.now,
	}
	for _, t := range in.Tags {
		sec.setTag(t)
	}
	out := createSecretOutput{ARN: sec.ARN, Name: sec.Name}
	if in.SecretString != nil {
		if !hasToken {
			token = r.srv.newRequestToken()
		}
		sec.Versions = []SecretVersion{{ID: token, String: *in.SecretString, Stages: []string{StageCurrent}, CreatedDate: r.now}}
		out.VersionID = token
	}
	st.secrets[secretKey(r.account, r.region, in.Name)] = sec
	return out, nil
}

func (sec *Secret) setTag(t smTag) {
	for i := range sec.Tags {
		if sec.Tags[i].Key == t.Key {
			sec.Tags[i].Value = t.Value
			return
		}
	}
	sec.Tags = append(sec.Tags, Tag(t))
}

func putSecretValue(st *secretsState, r *smRequest) (any, *apiError) {
	in := r.body
	sec, aerr := st.find(r, in.SecretID)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkValue(in); aerr != nil {
		return nil, aerr
	}
	if in.SecretString == nil {
		return nil, smError("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
	}
	token, hasToken, aerr := requestToken(in)
	if aerr != nil {
		return nil, aerr
	}
	if v := sec.version(token); hasToken && v != nil {
		if v.String != *in.SecretString {
			return nil, smError("ResourceExistsException", "You can't modify an existing version, you can only create a new version.")
		}
		return putSecretValueOutput{ARN: sec.ARN, Name: sec.Name, VersionID: v.ID, VersionStages: slices.Clone(v.Stages)}, nil
	}
	if !hasToken {
		token = r.srv.newRequestToken()
	}
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{StageCurrent}
	}
	sec.Versions = append(sec.Versions, SecretVersion{ID: token, String: *in.SecretString, CreatedDate: r.now})
	sec.moveStages(token, stages)
	sec.pruneVersions()
	sec.LastChangedDate = r.now
	return putSecretValueOutput{ARN: sec.ARN, Name: sec.Name, VersionID: token, VersionStages: slices.Clone(sec.version(token).Stages)}, nil
}

// moveStages attaches labels to a version, taking each from the version
// that held it; when AWSCURRENT moves, AWSPREVIOUS goes to the version it
// left, as Secrets Manager does.
func (sec *Secret) moveStages(id string, stages []string) {
	left := ""
	for i := range sec.Versions {
		v := &sec.Versions[i]
		if v.ID == id {
			continue
		}
		if slices.Contains(stages, StageCurrent) && slices.Contains(v.Stages, StageCurrent) {
			left = v.ID
		}
		v.Stages = slices.DeleteFunc(v.Stages, func(s string) bool { return slices.Contains(stages, s) })
	}
	target := sec.version(id)
	for _, s := range stages {
		if !slices.Contains(target.Stages, s) {
			target.Stages = append(target.Stages, s)
		}
	}
	if left == "" {
		return
	}
	for i := range sec.Versions {
		sec.Versions[i].Stages = slices.DeleteFunc(sec.Versions[i].Stages, func(s string) bool { return s == StagePrevious })
	}
	prev := sec.version(left)
	prev.Stages = append(prev.Stages, StagePrevious)
}

// pruneVersions drops the oldest versions without a label beyond Secrets
// Manager's quota of versions per secret.
func (sec *Secret) pruneVersions() {
	for len(sec.Versions) > maxSecretVersions {
		i := slices.IndexFunc(sec.Versions, func(v SecretVersion) bool { return len(v.Stages) == 0 })
		if i < 0 {
			return
		}
		sec.Versions = slices.Delete(sec.Versions, i, i+1)
	}
}

func describeSecret(st *secretsState, r *smRequest) (any, *apiError) {
	sec, aerr := st.find(r, r.body.SecretID)
	if aerr != nil {
		return nil, aerr
	}
	out := describeSecretOutput{
		ARN:             sec.ARN,
		Name:            sec.Name,
		Description:     sec.Description,
		CreatedDate:     epoch(sec.CreatedDate),
		LastChangedDate: epoch(sec.LastChangedDate),
	}
	for _, t := range sec.Tags {
		out.Tags = append(out.Tags, smTag(t))
	}
	for _, v := range sec.Versions {
		if len(v.Stages) > 0 {
			if out.VersionIDsToStages == nil {
				out.VersionIDsToStages = map[string][]string{}
			}
			out.VersionIDsToStages[v.ID] = slices.Clone(v.Stages)
		}
	}
	return out, nil
}

func getSecretValue(st *secretsState, r *smRequest) (any, *apiError) {
	sec, aerr := st.find(r, r.body.SecretID)
	if aerr != nil {
		return nil, aerr
	}
	id, stage := r.body.VersionID, r.body.VersionStage
	if id == "" && stage == "" {
		stage = StageCurrent
	}
	for _, v := range sec.Versions {
		if (id == "" || v.ID == id) && (stage == "" || slices.Contains(v.Stages, stage)) {
			return getSecretValueOutput{ARN: sec.ARN, Name: sec.Name, VersionID: v.ID, SecretString: v.String, VersionStages: slices.Clone(v.Stages), CreatedDate: epoch(v.CreatedDate)}, nil
		}
	}
	if id != "" {
		return nil, smError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", id)
	}
	return nil, smError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", stage)
}

func tagResource(st *secretsState, r *smRequest) (any, *apiError) {
	sec, aerr := st.find(r, r.body.SecretID)
	if aerr != nil {
		return nil, aerr
	}
	merged := map[string]bool{}
	for _, t := range sec.Tags {
		merged[t.Key] = true
	}
	for _, t := range r.body.Tags {
		merged[t.Key] = true
	}
	if len(merged) > maxSecretTags {
		return nil, smError("InvalidParameterException", "Number of tags exceeds the limit of %d.", maxSecretTags)
	}
	for _, t := range r.body.Tags {
		sec.setTag(t)
	}
	sec.LastChangedDate = r.now
	return json.RawMessage("{}"), nil
}
