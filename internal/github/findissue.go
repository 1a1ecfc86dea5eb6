package github

import "context"

// Issue is an issue as [Client.FindIssue] reads it back.
type Issue struct {
	Number int
	URL    string
	Title  string
	// Body is the body as stored, with the hidden marker and fingerprint
	// lines SyncIssue writes.
	Body string
	// State is "open" or "closed".
	State string
}

// FindIssue returns the issue [Client.SyncIssue] would consider for the
// marker and labels (the most recently created one, open or closed, holding
// the marker and every label), so a caller can compare what it reported
// last time with what it reports now; found is false when there is none.
func (c *Client) FindIssue(ctx context.Context, repo, marker string, labels []string) (issue Issue, found bool, err error) {
	hm, err := hiddenMarker(marker)
	if err != nil {
		return Issue{}, false, err
	}
	is, err := c.findIssue(ctx, repo, hm, "all", labels)
	if err != nil || is == nil {
		return Issue{}, false, err
	}
	return Issue{Number: is.GetNumber(), URL: is.GetHTMLURL(), Title: is.GetTitle(), Body: is.GetBody(), State: is.GetState()}, true, nil
}
