#include "services/engagements/domain/catalog.h"

#include "absl/strings/str_replace.h"

namespace certpath::engagements::domain {

using v1::Phase;
using v1::Side;

const std::vector<PhaseInfo>& Phases() {
  static const std::vector<PhaseInfo> kPhases = {
      {v1::PHASE_PREPARATION, "準備", "Preparation"},
      {v1::PHASE_CONSTRUCTION, "構築", "Construction"},
      {v1::PHASE_OPERATION_1, "運用1", "Operation 1"},
      {v1::PHASE_STAGE1_AUDIT, "第1段階審査", "Stage 1 audit"},
      {v1::PHASE_OPERATION_2, "運用2", "Operation 2"},
      {v1::PHASE_STAGE2_AUDIT, "第2段階審査", "Stage 2 audit"},
      {v1::PHASE_OPERATION_3, "運用3", "Operation 3"},
      {v1::PHASE_CERTIFICATION, "認証", "Certification"},
  };
  return kPhases;
}

const PhaseInfo* FindPhase(Phase phase) {
  for (const auto& p : Phases()) {
    if (p.phase == phase) return &p;
  }
  return nullptr;
}

const std::vector<Standard>& Standards() {
  static const std::vector<Standard> kStandards = {
      {"ISO_IEC_27001_2022", "JIS Q 27001:2023 (ISO/IEC 27001:2022)",
       "ISO/IEC 27001:2022 (JIS Q 27001:2023)", "ISMS", "情報セキュリティ", "information security"},
      {"ISO_9001_2015", "JIS Q 9001:2015 (ISO 9001:2015)", "ISO 9001:2015", "QMS", "品質",
       "quality"},
      {"ISO_14001_2015", "JIS Q 14001:2015 (ISO 14001:2015)", "ISO 14001:2015", "EMS", "環境",
       "environmental"},
      {"ISO_45001_2018", "JIS Q 45001:2018 (ISO 45001:2018)", "ISO 45001:2018", "OHSMS",
       "労働安全衛生", "occupational health and safety"},
      {"ISO_IEC_27701_2019", "JIS Q 27701:2021 (ISO/IEC 27701:2019)", "ISO/IEC 27701:2019", "PIMS",
       "プライバシー", "privacy"},
  };
  return kStandards;
}

const Standard* FindStandard(absl::string_view code) {
  for (const auto& s : Standards()) {
    if (code == s.code) return &s;
  }
  return nullptr;
}

const std::vector<TaskTemplate>& TaskTemplates() {
  constexpr Side C = v1::SIDE_CLIENT;
  constexpr Side O = v1::SIDE_OFFICE;
  static const std::vector<TaskTemplate> kTasks = {
      // 準備
      {"prep-c-certification-body", v1::PHASE_PREPARATION, C, true, "認証機関の決定",
       "Choose the certification body"},
      {"prep-c-appoint", v1::PHASE_PREPARATION, C, true, "管理責任者の選任、事務局の任命",
       "Appoint the management representative and the secretariat"},
      {"prep-c-structure", v1::PHASE_PREPARATION, C, true, "構築体制の整備",
       "Set up the project structure"},
      {"prep-c-review-offer", v1::PHASE_PREPARATION, C, true, "支援内容の検討",
       "Review the support offer"},
      {"prep-o-explain", v1::PHASE_PREPARATION, O, true, "構築支援内容の詳細説明",
       "Explain the support in detail"},
      {"prep-o-quote", v1::PHASE_PREPARATION, O, true, "見積書の提出", "Submit the quote"},
      {"prep-o-contract", v1::PHASE_PREPARATION, O, true, "契約書の締結", "Sign the contract"},
      // 構築
      {"cons-c-appoint", v1::PHASE_CONSTRUCTION, C, true, "管理責任者、ISO事務局の任命",
       "Appoint the management representative and the ISO secretariat"},
      {"cons-c-policy", v1::PHASE_CONSTRUCTION, C, true, "{topic}方針・目標の制定",
       "Set the {topic} policy and objectives"},
      {"cons-c-analysis", v1::PHASE_CONSTRUCTION, C, true, "各プロセスの現状分析",
       "Analyse the current state of each process"},
      {"cons-c-manual", v1::PHASE_CONSTRUCTION, C, true, "「{ms}マニュアル」の作成・制定",
       "Write and enact the {ms} manual"},
      {"cons-c-forms", v1::PHASE_CONSTRUCTION, C, true, "記録帳票類の制定と運用開始",
       "Enact the record forms and start using them"},
      {"cons-c-awareness", v1::PHASE_CONSTRUCTION, C, true,
       "キックオフ後の社員への{ms}の周知、教育",
       "After kick-off, make all staff aware of the {ms} and train them"},
      {"cons-c-auditor-training", v1::PHASE_CONSTRUCTION, C, true, "内部監査員の教育訓練",
       "Train internal auditors"},
      {"cons-c-customize", v1::PHASE_CONSTRUCTION, C, true,
       "定型の文書類を自社の業務実態に合わせてカスタマイズ",
       "Customize the template documents to the real business"},
      {"cons-c-questions", v1::PHASE_CONSTRUCTION, C, false,
       "カスタマイズに関する疑問点の問合せ（電子メール）",
       "Send customization questions by e-mail"},
      {"cons-o-visit-1", v1::PHASE_CONSTRUCTION, O, true,
       "1回目訪問：業務内容の確認と構築支援方針の確認",
       "Visit 1: learn the business and agree the support policy"},
      {"cons-o-visit-2", v1::PHASE_CONSTRUCTION, O, true,
       "2回目訪問：定型の{ms}マニュアルの提供、章立て項立てとカスタマイズのポイントの説明",
       "Visit 2: hand over the template {ms} manual, explain its chapters and where to customize"},
      {"cons-o-forms", v1::PHASE_CONSTRUCTION, O, true,
       "定型の帳票類の提供と運用のポイントの説明（別紙1）",
       "Hand over the template record forms and explain how to run them (Appendix 1)"},
      {"cons-o-existing-forms", v1::PHASE_CONSTRUCTION, O, false,
       "既存の記録帳票類の規格適合性の調査・報告",
       "Review the client's existing record forms against the standard and report"},
      {"cons-o-answer", v1::PHASE_CONSTRUCTION, O, false, "電子メールの問合せへの回答、助言",
       "Answer e-mail questions"},
      {"cons-o-review", v1::PHASE_CONSTRUCTION, O, true, "カスタマイズした文書類の文書審査",
       "Review the customized documents"},
      {"cons-o-visit-3", v1::PHASE_CONSTRUCTION, O, true,
       "3回目訪問：カスタマイズ終了時の完成度の確認",
       "Visit 3: check completeness when customization is done"},
      // 運用1
      {"op1-c-operate", v1::PHASE_OPERATION_1, C, true,
       "「{ms}マニュアル」に定めた手順に従った運用", "Run the {ms} by the manual"},
      {"op1-c-objectives", v1::PHASE_OPERATION_1, C, true, "全部門での目標管理",
       "Objectives management in all departments"},
      {"op1-c-records", v1::PHASE_OPERATION_1, C, true, "記録帳票類への運用の記録",
       "Keep records on the forms"},
      {"op1-c-gaps", v1::PHASE_OPERATION_1, C, true, "業務実態と手順の乖離の調整",
       "Fix gaps between practice and procedure"},
      {"op1-c-internal-audit", v1::PHASE_OPERATION_1, C, true, "内部監査の計画と実行",
       "Plan and run the internal audit"},
      {"op1-c-audit-summary", v1::PHASE_OPERATION_1, C, true, "内部監査の総括",
       "Summarise the internal audit"},
      {"op1-o-answer", v1::PHASE_OPERATION_1, O, false, "電子メールの問合せへの回答",
       "Answer e-mail questions"},
      // 第1段階審査
      {"s1-c-undergo", v1::PHASE_STAGE1_AUDIT, C, true, "第一段階審査の受審",
       "Undergo the stage 1 audit"},
      {"s1-c-concerns", v1::PHASE_STAGE1_AUDIT, C, true, "検出された「懸念事項」への対応",
       "Respond to the concerns found"},
      {"s1-c-revise", v1::PHASE_STAGE1_AUDIT, C, true, "「{ms}マニュアル」の改訂、帳票類の見直し",
       "Revise the {ms} manual and the forms"},
      {"s1-c-management-review", v1::PHASE_STAGE1_AUDIT, C, true,
       "マネジメントレビューの計画・報告と経営者の承認、指示事項への対応",
       "Plan the management review, report the results, get top management's approval and act "
       "on its instructions"},
      {"s1-o-advise", v1::PHASE_STAGE1_AUDIT, O, true, "「懸念事項」への対応方法の助言",
       "Advise on each concern"},
      // 運用2
      {"op2-c-operate", v1::PHASE_OPERATION_2, C, true,
       "第一段階審査の結果、MRからの指示事項を踏まえた運用",
       "Keep operating, taking the stage 1 and management review instructions into account"},
      {"op2-c-revise", v1::PHASE_OPERATION_2, C, false,
       "必要に応じた「{ms}マニュアル」の改訂、帳票類の見直し",
       "Revise the {ms} manual and the forms if needed"},
      {"op2-o-answer", v1::PHASE_OPERATION_2, O, false, "電子メールの問合せへの回答",
       "Answer e-mail questions"},
      // 第2段階審査
      {"s2-c-undergo", v1::PHASE_STAGE2_AUDIT, C, true, "第二段階審査の受審",
       "Undergo the stage 2 audit"},
      {"s2-c-findings", v1::PHASE_STAGE2_AUDIT, C, true, "検出された「指摘事項」への対応",
       "Respond to the findings"},
      {"s2-o-advise", v1::PHASE_STAGE2_AUDIT, O, true, "「指摘事項」への対応方法の助言",
       "Advise on each finding"},
      // 運用3
      {"op3-c-revise", v1::PHASE_OPERATION_3, C, true, "「{ms}マニュアル」の改訂、帳票類の見直し",
       "Revise the {ms} manual and the forms"},
      {"op3-c-submit", v1::PHASE_OPERATION_3, C, true,
       "審査登録機関へ「{ms}マニュアル」「是正結果報告書」を送り是正完了の確認を得る",
       "Send the {ms} manual and the corrective-action result report to the certification body "
       "and get closure confirmed"},
      {"op3-o-review", v1::PHASE_OPERATION_3, O, true,
       "提出前の「{ms}マニュアル」「是正結果報告書」の確認と助言",
       "Review the manual and the report before they are sent, and advise"},
      // 認証
      {"cert-c-certificate", v1::PHASE_CERTIFICATION, C, true, "審査登録機関から「登録証」を受領",
       "Receive the registration certificate"},
      {"cert-c-publicize", v1::PHASE_CERTIFICATION, C, false,
       "顧客への登録の周知、HP・カタログでの公表", "Tell customers and publish the registration"},
      {"cert-c-logo", v1::PHASE_CERTIFICATION, C, false, "名刺へのロゴマークの表示",
       "Show the logo on business cards"},
      {"cert-o-close", v1::PHASE_CERTIFICATION, O, true, "支援契約の終了",
       "Close the support contract"},
  };
  return kTasks;
}

const TaskTemplate* FindTask(absl::string_view id) {
  for (const auto& t : TaskTemplates()) {
    if (id == t.id) return &t;
  }
  return nullptr;
}

std::string TaskTitleJa(const TaskTemplate& t, const Standard& s) {
  return absl::StrReplaceAll(t.title_ja, {{"{ms}", s.system}, {"{topic}", s.topic_ja}});
}

std::string TaskTitleEn(const TaskTemplate& t, const Standard& s) {
  return absl::StrReplaceAll(t.title_en, {{"{ms}", s.system}, {"{topic}", s.topic_en}});
}

}  // namespace certpath::engagements::domain
