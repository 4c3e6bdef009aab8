//! Attackers, with ground truth: stolen-account takeovers (login and device binding from a new
//! device, often from another city, then a burst of high-value orders; the victim reports the
//! theft days later), device farms (many synthetic identities applying from a few devices, the
//! approved ones busting out), and cash-out rings (members with real identities who wash trades
//! through a colluding offline merchant, then draw their lines in cash and never repay).
//!
//! The five families the rules were never tuned on (bust-out, aged cash-out rings, rogue
//! merchants, OTP-passing takeovers, device-id rotation) are in `families.rs`; the takeover
//! machinery here serves the two takeover families too.

use std::net::IpAddr;

use engine::{EngineRejection, Outcome, Request, RiskBlock, RiskContext};
use money::Amount;
use risk::{ChallengeKind, Channel, CheckpointDetail, DeviceId};

use super::orders::{FraudEnd, Order, Party};
use super::{Intent, Owner, Simulation};
use crate::driver::Call;
use crate::figures::AttackFigures;
use crate::link::SimError;
use crate::onboard::{Applicant, Decision, limit_for};
use crate::population::{ATTACKER_DEVICES, CITIES, Category, place};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttackKind {
    Takeover,
    DeviceFarm,
    CashOutRing,
    /// Patient applicants who behave for 30-90 days, then max out (`families.rs`).
    BustOut,
    /// Ring members who age their lines for 30-90 days before cashing out at colluding merchants.
    AgedRing,
    /// An attacker's own merchant capturing orders from stolen accounts, never shipping.
    RogueMerchant,
    /// A takeover whose attacker always passes the OTP, from a fresh device, often at home.
    TakeoverOtp,
    /// Stolen credentials used with a fresh random device id on every request.
    DeviceRotation,
}

impl AttackKind {
    pub const ALL: [AttackKind; 8] = [
        AttackKind::Takeover,
        AttackKind::DeviceFarm,
        AttackKind::CashOutRing,
        AttackKind::BustOut,
        AttackKind::AgedRing,
        AttackKind::RogueMerchant,
        AttackKind::TakeoverOtp,
        AttackKind::DeviceRotation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AttackKind::Takeover => "account_takeover",
            AttackKind::DeviceFarm => "device_farm",
            AttackKind::CashOutRing => "cash_out_ring",
            AttackKind::BustOut => "bust_out",
            AttackKind::AgedRing => "aged_cash_out_ring",
            AttackKind::RogueMerchant => "rogue_merchant",
            AttackKind::TakeoverOtp => "takeover_otp_passed",
            AttackKind::DeviceRotation => "device_rotation",
        }
    }

    /// Whether the rules were tuned on this family before issue 16 (the simulator's first three).
    pub(crate) fn original(self) -> bool {
        matches!(
            self,
            AttackKind::Takeover | AttackKind::DeviceFarm | AttackKind::CashOutRing
        )
    }
}

/// Where a takeover is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stage {
    Login(Option<ChallengeKind>),
    Bind(Option<ChallengeKind>),
    Orders,
}

#[derive(Clone, Debug)]
pub(crate) struct Attack {
    pub kind: AttackKind,
    pub device: DeviceId,
    pub ip: IpAddr,
    pub city: usize,
    pub proxy: bool,
    pub emulator: bool,
    /// The attacker can answer an OTP (a swapped SIM, a phished code).
    pub otp: bool,
    /// A takeover's victim (line).
    pub victim: Option<usize>,
    /// A takeover's planned orders.
    pub planned: Vec<Amount>,
    pub orders: Vec<usize>,
    /// A ring's colluding merchant.
    pub merchant: Option<usize>,
    /// Every request from a fresh random device id (device rotation).
    pub rotate: bool,
    /// Seconds a takeover waits between binding (or login) and its orders.
    pub pause_s: i64,
    /// Drawn per attack: ranges of the family's parameters (see `families.rs`).
    pub params: Params,
}

/// Device ids a rotating attacker draws from (far from every other range).
pub(crate) const ROTATED_DEVICES: u64 = 5_000_000_000;

/// The per-attack draws of a patient family.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Params {
    /// Days a sleeper behaves before it strikes.
    pub patience_days: u32,
    /// Per mille: asks for a temporary limit right before striking.
    pub asks_limit: u64,
    /// Per mille: an order of the strike has a round amount.
    pub round: u64,
    /// Per mille: an order of the strike takes the longest term.
    pub max_term: u64,
    /// Orders of the strike (bust-out) or most merchants (rings).
    pub orders: u32,
}

/// Per 10,000 holders per 30 days: the accumulator threshold.
const PER_10K_MONTH: u64 = 300_000;

impl Simulation<'_, '_> {
    pub(crate) fn attack_figures(&mut self, attack: usize) -> &mut AttackFigures {
        let kind = self.attacks[attack].kind as usize;
        &mut self.fig.fraud[kind]
    }

    pub(super) fn attacker_context(&mut self, attack: usize, channel: Channel) -> RiskContext {
        let a = &self.attacks[attack];
        let (mut device, ip, city, proxy, emulator) = (a.device, a.ip, a.city, a.proxy, a.emulator);
        if a.rotate {
            device = DeviceId(ROTATED_DEVICES + self.rng.below(1 << 40));
        }
        RiskContext {
            device,
            ip,
            geo: Some(place(city, &mut self.rng)),
            proxy,
            emulator,
            ..RiskContext::unknown(channel)
        }
    }

    /// Starts today's attacks at the configured rates.
    pub(super) fn plan_attacks(&mut self, day: u32) {
        let approved = self
            .lines
            .iter()
            .filter(|l| l.open && matches!(l.owner, Owner::Shopper(_)))
            .count() as u64;
        let users = u64::from(self.config.users);
        let rates = &self.config.attacks;
        let adds = [
            u64::from(rates.account_takeovers) * approved,
            u64::from(rates.device_farms) * users,
            u64::from(rates.cash_out_rings) * users,
            u64::from(rates.bust_outs) * users,
            u64::from(rates.aged_rings) * users,
            u64::from(rates.rogue_merchants) * approved,
            u64::from(rates.otp_takeovers) * approved,
            u64::from(rates.device_rotations) * approved,
        ];
        for (i, add) in adds.into_iter().enumerate() {
            self.attack_accumulator[i] += add;
            while self.attack_accumulator[i] >= PER_10K_MONTH {
                self.attack_accumulator[i] -= PER_10K_MONTH;
                match AttackKind::ALL[i] {
                    AttackKind::Takeover => self.start_takeover(day),
                    AttackKind::DeviceFarm => self.start_farm(day),
                    AttackKind::CashOutRing => self.start_ring(day),
                    kind => self.start_family(kind, day),
                }
            }
        }
    }

    pub(super) fn new_attack(&mut self, kind: AttackKind, device: DeviceId, ip: IpAddr, city: usize) -> usize {
        let proxy = self.rng.chance(400);
        let emulator = self.rng.chance(if kind == AttackKind::Takeover { 200 } else { 400 });
        self.attacks.push(Attack {
            kind,
            device,
            ip,
            city,
            proxy,
            emulator,
            otp: false,
            victim: None,
            planned: Vec::new(),
            orders: Vec::new(),
            merchant: None,
            rotate: false,
            pause_s: 0,
            params: Params::default(),
        });
        let attack = self.attacks.len() - 1;
        self.attack_figures(attack).attacks += 1;
        attack
    }

    // --- account takeover

    fn start_takeover(&mut self, day: u32) {
        let candidates: Vec<usize> = (0..self.lines.len())
            .filter(|&i| {
                let l = &self.lines[i];
                l.open && !l.frozen && matches!(l.owner, Owner::Shopper(_))
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let victim = candidates[self.rng.index(candidates.len())];
        // Crews reuse their devices and addresses across victims.
        let crews = 3 + self.attacks.len() as u64 / 8;
        let crew = self.rng.below(crews);
        let device = DeviceId(ATTACKER_DEVICES + crew * 10 + self.rng.below(2));
        let ip = IpAddr::from([198, 51, 100, (crew % 250) as u8]);
        let home = self.lines[victim].home;
        let city = if self.rng.chance(700) {
            (home + 1 + self.rng.index(CITIES.len() - 1)) % CITIES.len()
        } else {
            home
        };
        let attack = self.new_attack(AttackKind::Takeover, device, ip, city);
        let orders = self.rng.between(2, 6);
        let planned = (0..orders).map(|_| self.rng.amount_yuan(1_500, 9_000)).collect();
        let a = &mut self.attacks[attack];
        a.victim = Some(victim);
        a.otp = self.rng.chance(350);
        a.planned = planned;
        let second = if self.rng.chance(300) {
            self.rng.between(3600, 5 * 3600) as i64
        } else {
            self.rng.between(9 * 3600, 23 * 3600) as i64
        };
        self.at(
            day,
            second,
            Intent::Takeover {
                attack,
                stage: Stage::Login(None),
            },
        );
    }

    /// The takeover's planned amount, all of it stopped before any order (at login or binding).
    pub(super) fn takeover_stopped(&mut self, attack: usize, end: FraudEnd) {
        let total: i64 = self.attacks[attack].planned.iter().map(|a| a.fen()).sum();
        let t = self.attack_figures(attack);
        t.attempts += 1;
        t.attempted_fen += total;
        match end {
            FraudEnd::Declined => t.stopped_declined_fen += total,
            _ => t.stopped_challenged_fen += total,
        }
        self.daily().fraud_attempted_fen += total;
    }

    pub(super) fn takeover(&mut self, attack: usize, stage: Stage) -> Result<(), SimError> {
        let Some(victim) = self.attacks[attack].victim else {
            return Ok(());
        };
        let account = self.lines[victim].account;
        self.touched.insert(account);
        let (detail, step_up, next) = match stage {
            Stage::Login(step_up) => (
                CheckpointDetail::Login { password_ok: true },
                step_up,
                // A rotating attacker binds nothing: every request comes from a new device.
                if self.attacks[attack].rotate {
                    Stage::Orders
                } else {
                    Stage::Bind(None)
                },
            ),
            Stage::Bind(step_up) => (
                CheckpointDetail::DeviceChange {
                    previous_device: Some(self.lines[victim].device),
                },
                step_up,
                Stage::Orders,
            ),
            Stage::Orders => return self.takeover_orders(attack),
        };
        let mut context = self.attacker_context(attack, Channel::Online);
        context.step_up = step_up;
        let answer = self
            .link
            .call(Call::from(Request::Checkpoint { account, detail }, context))?;
        match answer.outcome {
            Outcome::Applied { .. } => {
                let mut wait = self.rng.between(30, 240) as i64;
                if matches!(next, Stage::Orders) {
                    wait += self.attacks[attack].pause_s;
                }
                self.after(wait, Intent::Takeover { attack, stage: next });
            }
            Outcome::Rejected {
                rejection: EngineRejection::Risk(RiskBlock::ChallengeRequired(kind)),
            } => {
                let passes = kind == ChallengeKind::Otp && self.attacks[attack].otp;
                if passes && step_up.is_none() {
                    let retry = match stage {
                        Stage::Login(_) => Stage::Login(Some(kind)),
                        _ => Stage::Bind(Some(kind)),
                    };
                    self.after(45, Intent::Takeover { attack, stage: retry });
                } else {
                    self.takeover_stopped(attack, FraudEnd::Challenged);
                }
            }
            _ => self.takeover_stopped(attack, FraudEnd::Declined),
        }
        Ok(())
    }

    /// The burst: the attacker sees the available credit in the app and orders within it.
    pub(super) fn takeover_orders(&mut self, attack: usize) -> Result<(), SimError> {
        let Some(victim) = self.attacks[attack].victim else {
            return Ok(());
        };
        let account = self.lines[victim].account;
        let available = match self.link.accounts(&[account])?.pop().flatten() {
            Some(a) => a.available_on(a.day),
            None => Amount::ZERO,
        };
        let mut left = available;
        let planned = self.attacks[attack].planned.clone();
        let mut wait = 0;
        for amount in planned {
            let amount = amount.min(left);
            if amount < Amount::yuan(100) {
                break;
            }
            left -= amount;
            let category = [Category::Electronics, Category::Home, Category::Fashion][self.rng.weighted(&[6, 2, 2])];
            let city = self.attacks[attack].city;
            let Some(merchant) = self.pick_merchant(category, true, city) else {
                continue;
            };
            let context = self.attacker_context(attack, Channel::Online);
            let party = Party::Fraud {
                attack,
                counts: true,
                otp: self.attacks[attack].otp,
                liveness: false,
            };
            let mut order = Order::new(victim, merchant, amount, party, context);
            order.address_changed = self.rng.chance(400);
            self.orders.push(order);
            let index = self.orders.len() - 1;
            self.attacks[attack].orders.push(index);
            self.after(
                wait,
                Intent::Pay {
                    order: index,
                    step_up: None,
                },
            );
            wait += self.rng.between(40, 180) as i64;
        }
        if self.rng.chance(900) {
            let days = self.rng.between(1, 12) as u32;
            let second = self.waking_second((10, 21));
            self.at(
                self.day + days,
                second,
                Intent::ReportTheft {
                    line: victim,
                    attack: Some(attack),
                },
            );
        }
        Ok(())
    }

    // --- device farms and cash-out rings: applications

    pub(super) fn synthetic_applicant(
        &mut self,
        device: DeviceId,
        ip: IpAddr,
        city: usize,
        emulator: bool,
        proxy: bool,
    ) -> Applicant {
        let account = credit::AccountId(self.next_account);
        self.next_account += 1;
        Applicant {
            account,
            declared_income_yuan: self.rng.between(12_000, 40_000),
            quality: self.rng.between(250, 750),
            billing_day: self.rng.between(1, 28) as u8,
            context: RiskContext {
                device,
                ip,
                geo: Some(place(city, &mut self.rng)),
                emulator,
                proxy,
                ..RiskContext::unknown(Channel::Online)
            },
            synthetic: true,
            answers_otp: true,
        }
    }

    fn start_farm(&mut self, day: u32) {
        let farm_no = self.attacks.len() as u64;
        let ip = IpAddr::from([203, 0, 113, (farm_no % 250) as u8]);
        let city = self.rng.index(CITIES.len());
        let first_device = DeviceId(ATTACKER_DEVICES + 1_000_000 + farm_no * 100);
        let attack = self.new_attack(AttackKind::DeviceFarm, first_device, ip, city);
        let identities = self.rng.between(6, 20);
        let per_device = self.rng.between(3, 6);
        let (emulator, proxy) = (self.attacks[attack].emulator, self.attacks[attack].proxy);
        for i in 0..identities {
            let device = DeviceId(first_device.0 + i / per_device);
            let mut applicant = self.synthetic_applicant(device, ip, city, emulator, proxy);
            applicant.quality = applicant.quality.min(700);
            let on = day + self.rng.below(3) as u32;
            self.later.push((on, applicant, Owner::Farm(attack)));
        }
    }

    fn start_ring(&mut self, day: u32) {
        let ring_no = self.attacks.len() as u64;
        let studio = IpAddr::from([203, 0, 113, (100 + ring_no % 150) as u8]);
        let city = self.rng.index(CITIES.len());
        let attack = self.new_attack(AttackKind::CashOutRing, DeviceId(0), studio, city);
        let category = [Category::Fashion, Category::Grocery, Category::Beauty][self.rng.index(3)];
        self.attacks[attack].merchant = self.pick_merchant(category, false, city);
        let members = self.rng.between(3, 8);
        for _ in 0..members {
            let device = DeviceId(ATTACKER_DEVICES + 2_000_000 + self.next_account);
            let ip = if self.rng.chance(600) {
                studio
            } else {
                IpAddr::from([10, 200, (self.next_account >> 8) as u8, self.next_account as u8])
            };
            let mut applicant = self.synthetic_applicant(device, ip, city, false, false);
            // Real people, recruited: they pass liveness and are not made up.
            applicant.synthetic = false;
            applicant.declared_income_yuan = self.rng.between(8_000, 20_000);
            applicant.quality = self.rng.between(300, 700);
            let on = day + self.rng.below(5) as u32;
            self.later.push((on, applicant, Owner::Ring(attack)));
        }
    }

    /// A fraudulent applicant's decision: a declined one counts the line it asked for as
    /// stopped; an approved one starts spending.
    pub(super) fn on_decided_attack(&mut self, line: usize, owner: Owner, decision: &Decision) {
        let (Owner::Farm(attack) | Owner::Ring(attack) | Owner::Sleeper(attack)) = owner else {
            return;
        };
        match decision {
            Decision::Declined { .. } => {
                // A refused line is not fraud loss stopped: no money would have moved yet. It
                // is counted apart, out of the headline (which counted it until issue 17).
                let requested = self.requested_limit(line).fen();
                let t = self.attack_figures(attack);
                t.applications_declined += 1;
                t.lines_refused_fen += requested;
            }
            Decision::Approved { .. } if matches!(owner, Owner::Sleeper(_)) => self.sleeper_approved(line, attack),
            Decision::Approved { limit, .. } => {
                let l = &mut self.lines[line];
                l.spend_left = Amount::from_fen(limit.fen() * 95 / 100);
                let wait_days = self.rng.between(2, 6) as i64;
                let second = self.rng.between(10 * 3600, 22 * 3600) as i64;
                let start = wait_days * 86_400 + second - 86_400 / 2;
                match owner {
                    Owner::Farm(_) => self.after(start, Intent::BustOut { line }),
                    _ => {
                        self.lines[line].washes_left = self.rng.between(2, 4) as u32;
                        self.after(86_400 / 2, Intent::Wash { attack, member: line });
                    }
                }
            }
        }
    }

    fn requested_limit(&self, line: usize) -> Amount {
        self.requested
            .get(&self.lines[line].account)
            .copied()
            .unwrap_or(Amount::ZERO)
    }

    /// A farm identity spends its line at online electronics merchants, order after order.
    pub(super) fn bust_out(&mut self, line: usize) -> Option<Call> {
        let Owner::Farm(attack) = self.lines[line].owner else {
            return None;
        };
        let amount = self.rng.amount_yuan(2_000, 9_000).min(self.lines[line].spend_left);
        if amount < Amount::yuan(100) || self.lines[line].frozen {
            return None;
        }
        self.lines[line].spend_left -= amount;
        let city = self.attacks[attack].city;
        let merchant = self.pick_merchant(Category::Electronics, true, city)?;
        let l = &self.lines[line];
        let context = RiskContext {
            device: l.device,
            ip: l.ip,
            geo: Some(place(city, &mut self.rng)),
            emulator: self.attacks[attack].emulator,
            proxy: self.attacks[attack].proxy,
            ..RiskContext::unknown(Channel::Online)
        };
        let party = Party::Fraud {
            attack,
            counts: true,
            otp: true,
            liveness: false,
        };
        let mut order = Order::new(line, merchant, amount, party, context);
        order.address_changed = self.rng.chance(200);
        self.orders.push(order);
        let index = self.orders.len() - 1;
        self.attacks[attack].orders.push(index);
        if self.lines[line].spend_left >= Amount::yuan(100) {
            let wait = self.rng.between(120, 900) as i64;
            self.after(wait, Intent::BustOut { line });
        }
        self.pay_call(index, None)
    }

    pub(super) fn ring_order(&mut self, attack: usize, member: usize, amount: Amount, counts: bool) -> Option<Call> {
        let merchant = self.attacks[attack].merchant?;
        let channel = self.pop.merchants[merchant].channel;
        let l = &self.lines[member];
        let (device, ip) = (l.device, l.ip);
        let city = self.attacks[attack].city;
        let context = RiskContext {
            device,
            ip,
            geo: Some(place(city, &mut self.rng)),
            ..RiskContext::unknown(channel)
        };
        let party = Party::Fraud {
            attack,
            counts,
            otp: true,
            liveness: true,
        };
        let mut order = Order::new(member, merchant, amount, party, context);
        order.at_once = true;
        self.orders.push(order);
        let index = self.orders.len() - 1;
        self.attacks[attack].orders.push(index);
        self.pay_call(index, None)
    }

    /// A wash trade: bought at the colluding merchant, refunded the next day.
    pub(super) fn wash(&mut self, attack: usize, member: usize) -> Option<Call> {
        let l = &mut self.lines[member];
        if l.washes_left == 0 {
            let wait = self.rng.between(86_400, 3 * 86_400) as i64;
            self.after(wait, Intent::CashOut { attack, member });
            return None;
        }
        l.washes_left -= 1;
        let amount = self.rng.amount_yuan(300, 1_500);
        let wait = self.rng.between(20 * 3600, 30 * 3600) as i64;
        self.after(wait, Intent::Wash { attack, member });
        let call = self.ring_order(attack, member, amount, false)?;
        let order = self.orders.len() - 1;
        self.after(wait / 2, Intent::Refund { order, amount });
        Some(call)
    }

    /// Cash-out: purchases just under the offline cap until the line is drawn.
    pub(super) fn cash_out(&mut self, attack: usize, member: usize) -> Option<Call> {
        let amount = self.rng.amount_yuan(1_200, 1_999).min(self.lines[member].spend_left);
        if amount < Amount::yuan(100) {
            return None;
        }
        self.lines[member].spend_left -= amount;
        if self.lines[member].spend_left >= Amount::yuan(100) {
            let wait = self.rng.between(300, 3_600) as i64;
            self.after(wait, Intent::CashOut { attack, member });
        }
        self.ring_order(attack, member, amount, true)
    }
}

/// The line a fraudulent applicant asked for: the table's best multiple of the declared income.
pub(crate) fn requested(applicant: &Applicant) -> Amount {
    limit_for(applicant.declared_income_yuan, 0.0)
}
