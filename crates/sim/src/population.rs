//! The population: genuine shoppers with latent income, credit quality and habits, and
//! merchants online and offline across categories. Generated from the seed alone.

use std::net::{IpAddr, Ipv4Addr};

use credit::{AccountId, MerchantId};
use risk::{Channel, DeviceId, Geo};

use crate::config::SimConfig;
use crate::rng::Rng;

/// A city shoppers live in and merchants trade in.
#[derive(Clone, Copy, Debug)]
pub struct City {
    pub name: &'static str,
    pub lat_micro: i32,
    pub lon_micro: i32,
}

pub const CITIES: [City; 10] = [
    City {
        name: "Shanghai",
        lat_micro: 31_230_000,
        lon_micro: 121_470_000,
    },
    City {
        name: "Beijing",
        lat_micro: 39_900_000,
        lon_micro: 116_400_000,
    },
    City {
        name: "Guangzhou",
        lat_micro: 23_130_000,
        lon_micro: 113_260_000,
    },
    City {
        name: "Shenzhen",
        lat_micro: 22_540_000,
        lon_micro: 114_060_000,
    },
    City {
        name: "Chengdu",
        lat_micro: 30_660_000,
        lon_micro: 104_070_000,
    },
    City {
        name: "Hangzhou",
        lat_micro: 30_270_000,
        lon_micro: 120_150_000,
    },
    City {
        name: "Wuhan",
        lat_micro: 30_590_000,
        lon_micro: 114_300_000,
    },
    City {
        name: "Xi'an",
        lat_micro: 34_340_000,
        lon_micro: 108_940_000,
    },
    City {
        name: "Harbin",
        lat_micro: 45_800_000,
        lon_micro: 126_530_000,
    },
    City {
        name: "Kunming",
        lat_micro: 25_040_000,
        lon_micro: 102_710_000,
    },
];

/// A place in `city`, jittered by up to about 5 km so a shopper's events land in one or two
/// 0.1-degree cells.
pub fn place(city: usize, rng: &mut Rng) -> Geo {
    let c = CITIES[city % CITIES.len()];
    let jitter = |rng: &mut Rng| i32::try_from(rng.below(90_000)).unwrap_or(0) - 45_000;
    let lat = c.lat_micro + jitter(rng);
    let lon = c.lon_micro + jitter(rng);
    Geo::new(lat, lon).unwrap_or_else(|_| Geo::new(c.lat_micro, c.lon_micro).expect("the table's cities are on Earth"))
}

/// What a merchant sells: the range of its tickets and how often it trades online.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Grocery,
    Dining,
    Fashion,
    Beauty,
    Home,
    Electronics,
    Travel,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Grocery,
        Category::Dining,
        Category::Fashion,
        Category::Beauty,
        Category::Home,
        Category::Electronics,
        Category::Travel,
    ];

    /// Ticket range in yuan.
    pub fn ticket_yuan(self) -> (u64, u64) {
        match self {
            Category::Grocery => (5, 400),
            Category::Dining => (15, 600),
            Category::Fashion => (40, 2_500),
            Category::Beauty => (30, 1_500),
            Category::Home => (50, 6_000),
            Category::Electronics => (150, 12_000),
            Category::Travel => (300, 8_000),
        }
    }

    /// Share of this category's merchants that sell online, per mille.
    pub fn online_per_mille(self) -> u64 {
        match self {
            Category::Grocery => 250,
            Category::Dining => 150,
            Category::Fashion => 800,
            Category::Beauty => 600,
            Category::Home => 800,
            Category::Electronics => 850,
            Category::Travel => 950,
        }
    }

    /// How often shoppers buy in this category, relative.
    pub fn frequency(self) -> u64 {
        match self {
            Category::Grocery => 30,
            Category::Dining => 25,
            Category::Fashion => 15,
            Category::Beauty => 8,
            Category::Home => 8,
            Category::Electronics => 8,
            Category::Travel => 6,
        }
    }

    /// Whether goods are shipped (online orders pass the delivery checkpoint before capture).
    pub fn ships(self) -> bool {
        !matches!(self, Category::Dining | Category::Travel)
    }

    pub fn name(self) -> &'static str {
        match self {
            Category::Grocery => "grocery",
            Category::Dining => "dining",
            Category::Fashion => "fashion",
            Category::Beauty => "beauty",
            Category::Home => "home",
            Category::Electronics => "electronics",
            Category::Travel => "travel",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Merchant {
    pub id: MerchantId,
    pub category: Category,
    pub channel: Channel,
    pub city: usize,
    /// Relative share of its category's sales.
    pub popularity: u64,
}

/// How a shopper repays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Habit {
    /// The statement balance before the due date.
    InFull,
    /// The minimum before the due date.
    Minimum,
    /// Something between the minimum and the balance.
    Revolver,
    /// The balance, but days or weeks after the due date.
    Late,
    /// Pays a few times, then stops.
    Defaulter,
}

impl Habit {
    pub fn name(self) -> &'static str {
        match self {
            Habit::InFull => "in_full",
            Habit::Minimum => "minimum",
            Habit::Revolver => "revolver",
            Habit::Late => "late",
            Habit::Defaulter => "defaulter",
        }
    }
}

/// Something that changes a shopper's life during the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifeEvent {
    /// Income lost from this day: repayments stop.
    JobLoss { day: u32 },
    /// A new phone from this day (a new device, bound with a device-change step-up).
    NewPhone { day: u32 },
    /// A trip to another city.
    Trip { day: u32, days: u32, city: usize },
    /// A bonus: active plans are paid off early.
    Windfall { day: u32 },
}

#[derive(Clone, Debug)]
pub struct Shopper {
    pub account: AccountId,
    /// Monthly income in yuan (what the shopper declares).
    pub income_yuan: u64,
    /// Latent credit quality, 0 (worst) to 1000.
    pub quality: u64,
    pub habit: Habit,
    pub purchases_per_month: u64,
    pub home: usize,
    pub device: DeviceId,
    pub ip: IpAddr,
    pub card: u64,
    pub billing_day: u8,
    /// Hours of the day the shopper buys in (start inclusive, end exclusive).
    pub hours: (u64, u64),
    pub online_per_mille: u64,
    /// How often a purchase over 500 yuan is put on installments.
    pub plan_per_mille: u64,
    /// Days before the due date the shopper pays (after it, for late payers).
    pub pay_offset_days: i32,
    /// The day the shopper applies for a line.
    pub apply_day: u32,
    pub events: Vec<LifeEvent>,
}

/// Device ids: shoppers' own from 1, new phones from 10^9, attackers' from 2 * 10^9.
pub const NEW_PHONE_DEVICES: u64 = 1_000_000_000;
pub const ATTACKER_DEVICES: u64 = 2_000_000_000;

/// A household's address: 10.x.y.z, one per shopper (a few neighbours share one).
fn home_ip(index: u64) -> IpAddr {
    let n = index / 2;
    IpAddr::V4(Ipv4Addr::new(10, (n >> 16) as u8, (n >> 8) as u8, n as u8))
}

#[derive(Clone, Debug)]
pub struct Population {
    pub shoppers: Vec<Shopper>,
    pub merchants: Vec<Merchant>,
    /// Merchant indices by category, for picking where to shop.
    pub by_category: Vec<Vec<usize>>,
}

impl Population {
    pub fn generate(config: &SimConfig, rng: &mut Rng) -> Population {
        let merchants: Vec<Merchant> = (0..u64::from(config.merchants.max(Category::ALL.len() as u32)))
            .map(|i| merchant(i, rng))
            .collect();
        let mut by_category = vec![Vec::new(); Category::ALL.len()];
        for (i, m) in merchants.iter().enumerate() {
            by_category[m.category as usize].push(i);
        }
        let shoppers = (0..u64::from(config.users)).map(|i| shopper(i, config, rng)).collect();
        Population {
            shoppers,
            merchants,
            by_category,
        }
    }
}

fn merchant(i: u64, rng: &mut Rng) -> Merchant {
    // Every category has merchants: the first seven are one of each.
    let category = if i < Category::ALL.len() as u64 {
        Category::ALL[i as usize]
    } else {
        let weights: Vec<u64> = Category::ALL.iter().map(|c| c.frequency()).collect();
        Category::ALL[rng.weighted(&weights)]
    };
    let channel = if rng.chance(category.online_per_mille()) {
        Channel::Online
    } else if rng.chance(500) {
        Channel::OfflineQr
    } else {
        Channel::OfflineNfc
    };
    Merchant {
        id: MerchantId(i + 1),
        category,
        channel,
        city: rng.index(CITIES.len()),
        // A few big merchants, many small ones.
        popularity: 1 + rng.below(4) * rng.below(8) + rng.below(3),
    }
}

fn shopper(i: u64, config: &SimConfig, rng: &mut Rng) -> Shopper {
    // Quality is roughly triangular around 600; income log-spread from 2,500 to 30,000 yuan.
    let quality = ((rng.below(1001) + rng.below(1001) + rng.below(801) + 200) / 3).min(1000);
    let income_yuan = rng.amount_yuan(2_500, 30_000).fen() as u64 / 100;
    let defaulter_per_mille = match quality {
        0..=249 => 300,
        250..=399 => 90,
        400..=599 => 25,
        _ => 6,
    };
    let habit = if rng.chance(defaulter_per_mille) {
        Habit::Defaulter
    } else {
        match rng.below(100) {
            0..=54 => Habit::InFull,
            55..=72 => Habit::Minimum,
            73..=86 => Habit::Revolver,
            _ => Habit::Late,
        }
    };
    let start_hour = rng.between(6, 10);
    let night_owl = rng.chance(50);
    let hours = if night_owl {
        (start_hour + 4, 28)
    } else {
        (start_hour, rng.between(20, 24))
    };
    let days = config.days.max(1);
    // Most apply in the first two weeks; the rest trickle in.
    let apply_day = if rng.chance(750) {
        rng.below(u64::from(days.min(14))) as u32
    } else {
        rng.below(u64::from(days)) as u32
    };
    let home = rng.index(CITIES.len());
    let mut events = Vec::new();
    let mut maybe = |per_mille: u64, rng: &mut Rng, make: &dyn Fn(u32, &mut Rng) -> LifeEvent| {
        if rng.chance(per_mille) {
            let day = apply_day + rng.below(u64::from(days)) as u32;
            if day < days {
                events.push(make(day, rng));
            }
        }
    };
    maybe(30, rng, &|day, _| LifeEvent::JobLoss { day });
    maybe(80, rng, &|day, _| LifeEvent::NewPhone { day });
    maybe(120, rng, &|day, rng| LifeEvent::Trip {
        day,
        days: rng.between(2, 7) as u32,
        city: (home + 1 + rng.index(CITIES.len() - 1)) % CITIES.len(),
    });
    maybe(40, rng, &|day, _| LifeEvent::Windfall { day });
    events.sort_by_key(|e| match e {
        LifeEvent::JobLoss { day } | LifeEvent::NewPhone { day } | LifeEvent::Windfall { day } => *day,
        LifeEvent::Trip { day, .. } => *day,
    });
    Shopper {
        account: AccountId(i + 1),
        income_yuan,
        quality,
        habit,
        purchases_per_month: rng.between(1, 4) + rng.below(4) * rng.below(5),
        home,
        device: DeviceId(i + 1),
        ip: home_ip(i),
        card: 0xCA4D_0000_0000 + i,
        billing_day: rng.between(1, 28) as u8,
        hours,
        online_per_mille: rng.between(300, 850),
        plan_per_mille: [50, 150, 350][rng.index(3)],
        pay_offset_days: match habit {
            Habit::Late => -(rng.between(2, 40) as i32),
            _ => rng.between(0, 7) as i32,
        },
        apply_day,
        events,
    }
}
