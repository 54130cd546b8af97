package ingest

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// leaveGroup makes a static member leave the group on a graceful stop.
//
// A static member (Config.InstanceID) does not leave when its client
// closes: the group keeps its partitions for it until it comes back or its
// session times out. That is what a crash needs (a restart resumes at
// once), but a graceful stop is as likely a scale-down as a restart, and a
// scaled-down member's partitions would stall for the whole session
// timeout. So a graceful stop leaves: its partitions move at once, and a
// restart costs one rebalance, as for a dynamic member. franz-go's
// LeaveGroupContext stops the member's group work but sends no LeaveGroup
// for a static member; the request is sent here, naming the member id so
// that the broker refuses it (FENCED_INSTANCE_ID) if another process has
// taken the instance id meanwhile. A dynamic member leaves in Close.
func (in *Ingester) leaveGroup(ctx context.Context) {
	if in.cfg.InstanceID == "" {
		return
	}
	memberID, _ := in.cl.GroupMetadata()
	if err := in.cl.LeaveGroupContext(ctx); err != nil {
		in.log.Warn("could not stop the group work; the group keeps this member's partitions until its session times out",
			"session_timeout", in.cfg.SessionTimeout, "err", err)
		return
	}
	if memberID == "" {
		return // never joined
	}
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = in.cfg.Group
	m := kmsg.NewLeaveGroupRequestMember()
	m.MemberID, m.InstanceID = memberID, kmsg.StringPtr(in.cfg.InstanceID)
	m.Reason = kmsg.StringPtr("rebate ingest stopping")
	req.Members = append(req.Members, m)
	resp, err := req.RequestWith(ctx, in.cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
		for _, m := range resp.Members {
			if err == nil {
				err = kerr.ErrorForCode(m.ErrorCode)
			}
		}
	}
	if err != nil {
		in.log.Warn("could not leave the group; it keeps this member's partitions until its session times out",
			"instance_id", in.cfg.InstanceID, "session_timeout", in.cfg.SessionTimeout, "err", err)
		return
	}
	in.log.Info("left the group; its partitions move to the other members now", "instance_id", in.cfg.InstanceID)
}
