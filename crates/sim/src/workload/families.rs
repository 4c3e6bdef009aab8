//! The attack families iou's rules were never tuned on (issue 16), each with its parameters drawn
//! per attack from the seeded generator, and ground truth like the first three:
//!
//! - **bust-out**: a real identity applies, then behaves like a good customer for a patience of
//!   30-90 days (small purchases, repaid in full), then often asks for a temporary limit and maxes
//!   the line out within hours at many merchants, with round amounts and the longest term, and
//!   never repays;
//! - **aged cash-out ring**: recruited members who age their lines the same way, then draw them
//!   at one to three colluding offline merchants just under the offline cap;
//! - **rogue merchant**: a merchant the attacker onboarded (nobody else shops there) capturing at
//!   once, never shipping (no delivery checkpoint), orders paid with stolen accounts from the
//!   attacker's devices, with no login or binding first;
//! - **OTP-passing takeover**: a takeover from one fresh device, usually in the victim's city, by
//!   an attacker who always answers the OTP, waiting up to two days after binding;
//! - **device rotation**: stolen credentials where every request carries a fresh random device
//!   id (no binding), small orders, the OTP passed at a drawn rate.

use engine::{Outcome, Request, RiskContext};
use money::Amount;
use risk::{Channel, CheckpointDetail, DeviceId};

use super::orders::{Order, Party};
use super::{Intent, Owner, Simulation};
use crate::driver::Call;
use crate::link::SimError;
use crate::population::{ATTACKER_DEVICES, CITIES, Category, Merchant, place};

use super::attacks::{AttackKind, Params, Stage};

const SLEEPER_DEVICES: u64 = ATTACKER_DEVICES + 3_000_000;
const FRESH_DEVICES: u64 = ATTACKER_DEVICES + 4_000_000;

impl Simulation<'_, '_> {
    pub(super) fn start_family(&mut self, kind: AttackKind, day: u32) {
        match kind {
            AttackKind::BustOut => self.start_sleepers(AttackKind::BustOut, day),
            AttackKind::AgedRing => self.start_sleepers(AttackKind::AgedRing, day),
            AttackKind::RogueMerchant => self.start_rogue_merchant(day),
            AttackKind::TakeoverOtp | AttackKind::DeviceRotation => self.start_stolen_login(kind, day),
            AttackKind::Takeover | AttackKind::DeviceFarm | AttackKind::CashOutRing => {}
        }
    }

    // --- bust-out and aged rings: patient applicants

    fn start_sleepers(&mut self, kind: AttackKind, day: u32) {
        let no = self.attacks.len() as u64;
        let city = self.rng.index(CITIES.len());
        let studio = std::net::IpAddr::from([203, 0, 113, (200 + no % 50) as u8]);
        let attack = self.new_attack(kind, DeviceId(0), studio, city);
        let params = Params {
            patience_days: self.rng.between(30, 90) as u32,
            asks_limit: self.rng.between(200, 800),
            round: self.rng.between(0, 900),
            max_term: self.rng.between(0, 700),
            orders: self.rng.between(3, 12) as u32,
        };
        self.attacks[attack].params = params;
        let members = if kind == AttackKind::BustOut {
            1
        } else {
            let category = [Category::Fashion, Category::Grocery, Category::Beauty, Category::Home][self.rng.index(4)];
            self.attacks[attack].merchant = self.pick_merchant(category, false, city);
            self.rng.between(3, 8)
        };
        for _ in 0..members {
            let device = DeviceId(SLEEPER_DEVICES + self.next_account);
            let ip = std::net::IpAddr::from([10, 201, (self.next_account >> 8) as u8, self.next_account as u8]);
            let mut applicant = self.synthetic_applicant(device, ip, city, false, false);
            // Real identities with real jobs: they pass liveness and score like customers.
            applicant.synthetic = false;
            applicant.declared_income_yuan = self.rng.between(6_000, 25_000);
            applicant.quality = self.rng.between(450, 800);
            let on = day + self.rng.below(10) as u32;
            self.later.push((on, applicant, Owner::Sleeper(attack)));
        }
    }

    /// An approved sleeper: purchases now and then until its patience ends, then the strike.
    pub(super) fn sleeper_approved(&mut self, line: usize, attack: usize) {
        let patience = self.attacks[attack].params.patience_days;
        let strike = self.day + patience;
        self.lines[line].stops_paying = Some(strike);
        self.lines[line].home = self.attacks[attack].city;
        let mut d = self.day + 1;
        while d < strike {
            let second = self.waking_second((9, 21));
            self.at(d, second, Intent::Groom { line });
            d += self.rng.between(2, 8) as u32;
        }
        let second = self.waking_second((10, 20));
        self.at(strike, second, Intent::Strike { line });
    }

    fn sleeper_context(&mut self, line: usize, channel: Channel) -> RiskContext {
        let l = &self.lines[line];
        let (device, ip, city) = (l.device, l.ip, l.home);
        RiskContext {
            device,
            ip,
            geo: Some(place(city, &mut self.rng)),
            ..RiskContext::unknown(channel)
        }
    }

    fn sleeper_order(&mut self, line: usize, merchant: usize, amount: Amount, counts: bool) -> usize {
        let Owner::Sleeper(attack) = self.lines[line].owner else {
            return usize::MAX;
        };
        let channel = self.pop.merchants[merchant].channel;
        let context = self.sleeper_context(line, channel);
        let party = Party::Fraud {
            attack,
            counts,
            otp: true,
            liveness: true,
        };
        let mut order = Order::new(line, merchant, amount, party, context);
        order.at_once = channel != Channel::Online;
        self.orders.push(order);
        let index = self.orders.len() - 1;
        self.attacks[attack].orders.push(index);
        index
    }

    /// A well-behaved purchase (not fraud loss: it is repaid).
    pub(super) fn groom(&mut self, line: usize) -> Option<Call> {
        let l = &self.lines[line];
        if !l.open || l.frozen {
            return None;
        }
        let weights: Vec<u64> = Category::ALL.iter().map(|c| c.frequency()).collect();
        let category = Category::ALL[self.rng.weighted(&weights)];
        let online = self.rng.chance(500);
        let merchant = self.pick_merchant(category, online, l.home)?;
        let cap = u64::try_from(self.lines[line].limit.fen() / 100 / 8)
            .unwrap_or(0)
            .max(60);
        let amount = self.rng.amount_yuan(30, cap.min(800));
        let order = self.sleeper_order(line, merchant, amount, false);
        self.pay_call(order, None)
    }

    /// The strike: maybe a temporary limit first, then orders for all the line will give.
    pub(super) fn strike(&mut self, line: usize) -> Result<(), SimError> {
        let Owner::Sleeper(attack) = self.lines[line].owner else {
            return Ok(());
        };
        if !self.lines[line].open || self.lines[line].frozen {
            return Ok(());
        }
        let account = self.lines[line].account;
        self.touched.insert(account);
        if self.rng.chance(self.attacks[attack].params.asks_limit) {
            self.ask_temporary_limit(line)?;
        }
        let available = match self.link.accounts(&[account])?.pop().flatten() {
            Some(a) => a.available_on(a.day),
            None => Amount::ZERO,
        };
        let kind = self.attacks[attack].kind;
        let params = self.attacks[attack].params;
        let mut left = Amount::from_fen(available.fen() * 97 / 100);
        let mut wait = 0i64;
        let mut n = 0;
        while left >= Amount::yuan(100) && n < 40 {
            n += 1;
            let (merchant, amount) = if kind == AttackKind::AgedRing {
                let Some(m) = self.attacks[attack].merchant else { break };
                (m, self.rng.amount_yuan(1_000, 1_999))
            } else {
                let share = left.fen() / i64::from(params.orders.saturating_sub(n - 1).max(1));
                let amount = Amount::from_fen(share * i64::try_from(self.rng.between(70, 130)).unwrap_or(100) / 100);
                let category = [
                    Category::Electronics,
                    Category::Home,
                    Category::Fashion,
                    Category::Beauty,
                ][self.rng.weighted(&[5, 2, 2, 1])];
                let online = self.rng.chance(700);
                let Some(m) = self.pick_merchant(category, online, self.lines[line].home) else {
                    break;
                };
                (m, amount)
            };
            let mut amount = amount.min(left);
            if self.rng.chance(params.round) && amount >= Amount::yuan(1_000) {
                amount = Amount::yuan(amount.fen() / 100_000 * 1_000);
            }
            left -= amount;
            let order = self.sleeper_order(line, merchant, amount, true);
            if amount >= Amount::yuan(500) && kind == AttackKind::BustOut && self.rng.chance(params.max_term) {
                self.orders[order].plan = Some(credit::PlanChoice {
                    periods: 24,
                    method: money::schedule::Method::Annuity,
                    rate: None,
                });
            }
            self.after(wait, Intent::Pay { order, step_up: None });
            wait += self.rng.between(120, 1_800) as i64;
        }
        Ok(())
    }

    /// A limit request at the checkpoint; granted as a 30-day temporary limit when risk allows.
    fn ask_temporary_limit(&mut self, line: usize) -> Result<(), SimError> {
        let account = self.lines[line].account;
        let extra = Amount::from_fen(self.lines[line].limit.fen() / 2);
        let detail = CheckpointDetail::LimitRequest {
            amount: extra,
            days: 30,
        };
        let context = self.sleeper_context(line, Channel::Online);
        let answer = self
            .link
            .call(Call::from(Request::Checkpoint { account, detail }, context))?;
        if !matches!(answer.outcome, Outcome::Applied { .. }) {
            return Ok(());
        }
        let command = credit::Command::SetTemporaryLimit {
            account,
            amount: extra,
            expires_on: self.today().add(30),
        };
        if let Ok(call) = Call::command(command) {
            self.link.call(call)?;
        }
        Ok(())
    }

    // --- rogue merchant

    fn start_rogue_merchant(&mut self, day: u32) {
        let city = self.rng.index(CITIES.len());
        let id = credit::MerchantId(self.pop.merchants.len() as u64 + 1);
        // Onboarded by the attacker: in no category list, so no genuine shopper finds it.
        self.pop.merchants.push(Merchant {
            id,
            category: Category::Electronics,
            channel: Channel::Online,
            city,
            popularity: 1,
        });
        let merchant = self.pop.merchants.len() - 1;
        let no = self.attacks.len() as u64;
        let device = DeviceId(FRESH_DEVICES + 500_000 + no * 4);
        let ip = std::net::IpAddr::from([100, 72, (no >> 8) as u8, no as u8]);
        let attack = self.new_attack(AttackKind::RogueMerchant, device, ip, city);
        self.attacks[attack].merchant = Some(merchant);
        let victims = self.rng.between(2, 10);
        let spread = self.rng.between(1, 14);
        for _ in 0..victims {
            let on = day + self.rng.below(spread) as u32;
            let second = self.rng.between(8 * 3600, 23 * 3600) as i64;
            self.at(on, second, Intent::RogueCharge { attack });
        }
    }

    /// One stolen account charged at the rogue merchant, captured at once.
    pub(super) fn rogue_charge(&mut self, attack: usize) -> Option<Call> {
        let merchant = self.attacks[attack].merchant?;
        let candidates: Vec<usize> = (0..self.lines.len())
            .filter(|&i| {
                let l = &self.lines[i];
                l.open && !l.frozen && matches!(l.owner, Owner::Shopper(_))
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let victim = candidates[self.rng.index(candidates.len())];
        let limit_yuan = u64::try_from(self.lines[victim].limit.fen() / 100).unwrap_or(0);
        let amount = self.rng.amount_yuan(300, limit_yuan.clamp(400, 5_000));
        let mut context = self.attacker_context(attack, Channel::Online);
        context.device = DeviceId(self.attacks[attack].device.0 + self.rng.below(4));
        let party = Party::Fraud {
            attack,
            counts: true,
            otp: self.rng.chance(300),
            liveness: false,
        };
        let mut order = Order::new(victim, merchant, amount, party, context);
        order.at_once = true;
        self.orders.push(order);
        let index = self.orders.len() - 1;
        self.attacks[attack].orders.push(index);
        if self.rng.chance(800) {
            let days = self.rng.between(2, 20) as u32;
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
        self.pay_call(index, None)
    }

    // --- OTP-passing takeover and device rotation

    fn start_stolen_login(&mut self, kind: AttackKind, day: u32) {
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
        let no = self.attacks.len() as u64;
        let device = DeviceId(FRESH_DEVICES + no);
        let home = self.lines[victim].home;
        let city = if self.rng.chance(200) {
            (home + 1 + self.rng.index(CITIES.len() - 1)) % CITIES.len()
        } else {
            home
        };
        // A residential proxy or a phone hotspot: an address nobody else uses.
        let ip = std::net::IpAddr::from([100, 80, (no >> 8) as u8, no as u8]);
        let attack = self.new_attack(kind, device, ip, city);
        let rotation = kind == AttackKind::DeviceRotation;
        let (orders, low, high) = if rotation {
            (self.rng.between(3, 10), 200, 3_000)
        } else {
            (self.rng.between(1, 5), 800, 8_000)
        };
        let planned = (0..orders).map(|_| self.rng.amount_yuan(low, high)).collect();
        let otp_rate = self.rng.between(500, 1000);
        let pause = if rotation {
            0
        } else {
            self.rng.between(0, 2 * 86_400) as i64
        };
        let a = &mut self.attacks[attack];
        a.victim = Some(victim);
        a.planned = planned;
        a.rotate = rotation;
        a.emulator = false;
        a.proxy = false;
        a.otp = !rotation || self.rng.chance(otp_rate);
        a.pause_s = pause;
        let second = self.rng.between(8 * 3600, 22 * 3600) as i64;
        self.at(
            day,
            second,
            Intent::Takeover {
                attack,
                stage: Stage::Login(None),
            },
        );
    }
}
