//! A trivial protocol for the kernel benchmark and determinism tests: servers bounce `balls`
//! messages back and forth forever. It does nothing else, so its cost is the kernel's cost.

use splitbrain_api::{
    ClientProcess, Ctx, Message, NodeId, NodeView, Op, Process, Protocol, Ret, Role,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Ball(pub u64);

impl Message for Ball {
    fn kind(&self) -> &'static str {
        "Ball"
    }
}

/// Server 0 serves `balls` balls at start; every server returns each ball it receives.
pub struct PingPong {
    pub balls: u64,
}

pub struct Player {
    id: NodeId,
    peers: Vec<NodeId>,
    balls: u64,
    hits: u64,
}

impl Process for Player {
    type Msg = Ball;
    type Timer = ();
    type Durable = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>, _durable: Option<&()>) {
        if self.id == NodeId::server(0) {
            for b in 0..self.balls {
                let to = self.peers[1 + (b as usize % (self.peers.len() - 1))];
                ctx.send(to, Ball(b));
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Ball) {
        self.hits += 1;
        ctx.send(from, msg);
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<Self>, _timer: ()) {}

    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            ..NodeView::default()
        }
    }
}

/// Ping-pong has no clients; this one completes whatever it is asked at once.
pub struct Idle;

impl Process for Idle {
    type Msg = Ball;
    type Timer = ();
    type Durable = ();
    fn on_start(&mut self, _ctx: &mut Ctx<Self>, _durable: Option<&()>) {}
    fn on_message(&mut self, _ctx: &mut Ctx<Self>, _from: NodeId, _msg: Ball) {}
    fn on_timer(&mut self, _ctx: &mut Ctx<Self>, _timer: ()) {}
    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            ..NodeView::default()
        }
    }
}

impl ClientProcess for Idle {
    fn on_invoke(&mut self, ctx: &mut Ctx<Self>, _op: Op) {
        ctx.complete(Ret::Done);
    }
}

impl Protocol for PingPong {
    type Server = Player;
    type Client = Idle;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> Player {
        assert!(servers.len() >= 2, "ping-pong needs two players");
        Player {
            id,
            peers: servers.to_vec(),
            balls: self.balls,
            hits: 0,
        }
    }

    fn client(&self, _id: NodeId, _servers: &[NodeId]) -> Idle {
        Idle
    }
}
