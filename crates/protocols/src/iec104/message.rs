//! IEC 60870-5-104 code points as open types: APCI formats and U functions, ASDU type
//! identifications with their element sizes, causes of transmission.

use std::fmt;

/// The U-format functions (IEC 60870-5-104 §5.3), as the bits of the first control octet
/// shifted right by two, which is how Wireshark numbers them (`iec60870_104.utype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UFunction(pub u8);

impl UFunction {
    /// STARTDT act.
    pub const STARTDT_ACT: UFunction = UFunction(0x01);

    /// Name the function, or `None` unless exactly one function bit is set.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x01 => "startdt_act",
            0x02 => "startdt_con",
            0x04 => "stopdt_act",
            0x08 => "stopdt_con",
            0x10 => "testfr_act",
            0x20 => "testfr_con",
            _ => return None,
        })
    }

    /// Tell whether the function starts or stops data transfer.
    pub fn is_session(self) -> bool {
        matches!(self.0, 0x01..=0x08)
    }
}

/// How big one information element set of a type is, after its information object address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementSize {
    /// A fixed number of octets.
    Fixed(usize),
    /// A file segment: name (2), section (1), a length octet and that many octets.
    Segment,
}

/// What the information elements of a type hold, for decoding values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    /// SIQ: single-point information with quality.
    SinglePoint,
    /// DIQ: double-point information with quality.
    DoublePoint,
    /// VTI and QDS: step position.
    StepPosition,
    /// BSI and QDS: bitstring of 32 bits.
    Bitstring,
    /// NVA and QDS: normalized value.
    Normalized,
    /// NVA without quality.
    NormalizedNoQuality,
    /// SVA and QDS: scaled value.
    Scaled,
    /// IEEE 754 short float and QDS.
    Float,
    /// BCR: binary counter reading.
    Counter,
    /// SCO: single command.
    SingleCommand,
    /// DCO: double command.
    DoubleCommand,
    /// RCO: regulating step command.
    StepCommand,
    /// NVA and QOS: normalized set-point (or QPM for parameters).
    NormalizedSetpoint,
    /// SVA and QOS: scaled set-point (or QPM).
    ScaledSetpoint,
    /// Float and QOS: short float set-point (or QPM).
    FloatSetpoint,
    /// BSI of a bitstring command, no qualifier.
    BitstringCommand,
    /// QOI: qualifier of interrogation.
    Interrogation,
    /// CP56Time2a alone: clock synchronisation.
    Clock,
    /// Anything else, shown as hex.
    Raw,
}

/// The time tag that follows the elements of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeTag {
    /// None.
    None,
    /// CP24Time2a: milliseconds and minutes.
    Cp24,
    /// CP56Time2a: a full date and time.
    Cp56,
}

/// An ASDU type identification (IEC 60870-5-101 §7.2.1, -104 §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeId(pub u8);

/// (name, elements, their size without the time tag, time tag) of an assigned type.
type TypeInfo = (&'static str, Element, usize, TimeTag);

impl TypeId {
    /// Return the table entry of an assigned type.
    fn info(self) -> Option<TypeInfo> {
        use Element::*;
        use TimeTag::{Cp24, Cp56, None as No};
        Some(match self.0 {
            1 => ("M_SP_NA_1", SinglePoint, 1, No),
            2 => ("M_SP_TA_1", SinglePoint, 1, Cp24),
            3 => ("M_DP_NA_1", DoublePoint, 1, No),
            4 => ("M_DP_TA_1", DoublePoint, 1, Cp24),
            5 => ("M_ST_NA_1", StepPosition, 2, No),
            6 => ("M_ST_TA_1", StepPosition, 2, Cp24),
            7 => ("M_BO_NA_1", Bitstring, 5, No),
            8 => ("M_BO_TA_1", Bitstring, 5, Cp24),
            9 => ("M_ME_NA_1", Normalized, 3, No),
            10 => ("M_ME_TA_1", Normalized, 3, Cp24),
            11 => ("M_ME_NB_1", Scaled, 3, No),
            12 => ("M_ME_TB_1", Scaled, 3, Cp24),
            13 => ("M_ME_NC_1", Float, 5, No),
            14 => ("M_ME_TC_1", Float, 5, Cp24),
            15 => ("M_IT_NA_1", Counter, 5, No),
            16 => ("M_IT_TA_1", Counter, 5, Cp24),
            17 => ("M_EP_TA_1", Raw, 3, Cp24),
            18 => ("M_EP_TB_1", Raw, 4, Cp24),
            19 => ("M_EP_TC_1", Raw, 4, Cp24),
            20 => ("M_PS_NA_1", Raw, 5, No),
            21 => ("M_ME_ND_1", NormalizedNoQuality, 2, No),
            30 => ("M_SP_TB_1", SinglePoint, 1, Cp56),
            31 => ("M_DP_TB_1", DoublePoint, 1, Cp56),
            32 => ("M_ST_TB_1", StepPosition, 2, Cp56),
            33 => ("M_BO_TB_1", Bitstring, 5, Cp56),
            34 => ("M_ME_TD_1", Normalized, 3, Cp56),
            35 => ("M_ME_TE_1", Scaled, 3, Cp56),
            36 => ("M_ME_TF_1", Float, 5, Cp56),
            37 => ("M_IT_TB_1", Counter, 5, Cp56),
            38 => ("M_EP_TD_1", Raw, 3, Cp56),
            39 => ("M_EP_TE_1", Raw, 4, Cp56),
            40 => ("M_EP_TF_1", Raw, 4, Cp56),
            45 => ("C_SC_NA_1", SingleCommand, 1, No),
            46 => ("C_DC_NA_1", DoubleCommand, 1, No),
            47 => ("C_RC_NA_1", StepCommand, 1, No),
            48 => ("C_SE_NA_1", NormalizedSetpoint, 3, No),
            49 => ("C_SE_NB_1", ScaledSetpoint, 3, No),
            50 => ("C_SE_NC_1", FloatSetpoint, 5, No),
            51 => ("C_BO_NA_1", BitstringCommand, 4, No),
            58 => ("C_SC_TA_1", SingleCommand, 1, Cp56),
            59 => ("C_DC_TA_1", DoubleCommand, 1, Cp56),
            60 => ("C_RC_TA_1", StepCommand, 1, Cp56),
            61 => ("C_SE_TA_1", NormalizedSetpoint, 3, Cp56),
            62 => ("C_SE_TB_1", ScaledSetpoint, 3, Cp56),
            63 => ("C_SE_TC_1", FloatSetpoint, 5, Cp56),
            64 => ("C_BO_TA_1", BitstringCommand, 4, Cp56),
            70 => ("M_EI_NA_1", Raw, 1, No),
            100 => ("C_IC_NA_1", Interrogation, 1, No),
            101 => ("C_CI_NA_1", Raw, 1, No),
            102 => ("C_RD_NA_1", Raw, 0, No),
            103 => ("C_CS_NA_1", Clock, 0, Cp56),
            104 => ("C_TS_NA_1", Raw, 2, No),
            105 => ("C_RP_NA_1", Raw, 1, No),
            106 => ("C_CD_NA_1", Raw, 2, No),
            107 => ("C_TS_TA_1", Raw, 2, Cp56),
            110 => ("P_ME_NA_1", NormalizedSetpoint, 3, No),
            111 => ("P_ME_NB_1", ScaledSetpoint, 3, No),
            112 => ("P_ME_NC_1", FloatSetpoint, 5, No),
            113 => ("P_AC_NA_1", Raw, 1, No),
            120 => ("F_FR_NA_1", Raw, 6, No),
            121 => ("F_SR_NA_1", Raw, 7, No),
            122 => ("F_SC_NA_1", Raw, 4, No),
            123 => ("F_LS_NA_1", Raw, 5, No),
            124 => ("F_AF_NA_1", Raw, 4, No),
            125 => ("F_SG_NA_1", Raw, 4, No),
            126 => ("F_DR_TA_1", Raw, 6, Cp56),
            127 => ("F_SC_NB_1", Raw, 16, No),
            _ => return None,
        })
    }

    /// Name the type as the standard does (`M_SP_NA_1`), or `None` when unassigned.
    pub fn name(self) -> Option<&'static str> {
        self.info().map(|i| i.0)
    }

    /// Return what the elements hold.
    pub fn element(self) -> Option<Element> {
        self.info().map(|i| i.1)
    }

    /// Return the time tag after the elements.
    pub fn time_tag(self) -> TimeTag {
        self.info().map_or(TimeTag::None, |i| i.3)
    }

    /// Return the size of one element set, time tag included.
    pub fn size(self) -> Option<ElementSize> {
        if self.0 == 125 {
            return Some(ElementSize::Segment);
        }
        let (_, _, size, time) = self.info()?;
        let tag = match time {
            TimeTag::None => 0,
            TimeTag::Cp24 => 3,
            TimeTag::Cp56 => 7,
        };
        Some(ElementSize::Fixed(size + tag))
    }

    /// Tell whether the type is a command in the control direction (45–64).
    pub fn is_command(self) -> bool {
        (45..=64).contains(&self.0)
    }

    /// Tell whether the type is sent by the controlling station: commands, system commands
    /// (100–107), parameters (110–113).
    pub fn sent_by_controlling_station(self) -> bool {
        matches!(self.0, 45..=64 | 100..=107 | 110..=113)
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{} (unknown)", self.0),
        }
    }
}

/// Name a cause of transmission (IEC 60870-5-101 §7.2.3) by the standard's abbreviation.
pub fn cause_name(cause: u8) -> Option<&'static str> {
    const INTERROGATED: [&str; 16] = [
        "inro1", "inro2", "inro3", "inro4", "inro5", "inro6", "inro7", "inro8", "inro9", "inro10",
        "inro11", "inro12", "inro13", "inro14", "inro15", "inro16",
    ];
    const COUNTERS: [&str; 4] = ["reqco1", "reqco2", "reqco3", "reqco4"];
    Some(match cause {
        1 => "per_cyc",
        2 => "back",
        3 => "spont",
        4 => "init",
        5 => "req",
        6 => "act",
        7 => "actcon",
        8 => "deact",
        9 => "deactcon",
        10 => "actterm",
        11 => "retrem",
        12 => "retloc",
        13 => "file",
        20 => "inrogen",
        21..=36 => INTERROGATED[usize::from(cause - 21)],
        37 => "reqcogen",
        38..=41 => COUNTERS[usize::from(cause - 38)],
        44 => "unknown_type_id",
        45 => "unknown_cause",
        46 => "unknown_common_address",
        47 => "unknown_ioa",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_types_and_sizes_their_elements_with_time_tags() {
        assert_eq!(TypeId(45).name(), Some("C_SC_NA_1"));
        assert_eq!(TypeId(36).size(), Some(ElementSize::Fixed(12)));
        assert_eq!(TypeId(2).size(), Some(ElementSize::Fixed(4)));
        assert_eq!(TypeId(103).size(), Some(ElementSize::Fixed(7)));
        assert_eq!(TypeId(102).size(), Some(ElementSize::Fixed(0)));
        assert_eq!(TypeId(125).size(), Some(ElementSize::Segment));
        assert_eq!(TypeId(90).size(), None);
        assert_eq!(TypeId(90).to_string(), "90 (unknown)");
        assert!(TypeId(58).is_command() && TypeId(100).sent_by_controlling_station());
        assert!(!TypeId(13).sent_by_controlling_station());
    }

    #[test]
    fn names_causes_of_transmission() {
        assert_eq!(cause_name(3), Some("spont"));
        assert_eq!(cause_name(21), Some("inro1"));
        assert_eq!(cause_name(36), Some("inro16"));
        assert_eq!(cause_name(41), Some("reqco4"));
        assert_eq!(cause_name(14), None);
    }

    #[test]
    fn names_only_single_u_functions() {
        assert_eq!(UFunction(0x01).name(), Some("startdt_act"));
        assert_eq!(UFunction(0x20).name(), Some("testfr_con"));
        assert_eq!(UFunction(0x03).name(), None);
        assert!(UFunction(0x04).is_session() && !UFunction(0x10).is_session());
    }
}
