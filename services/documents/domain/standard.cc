#include "services/documents/domain/standard.h"

#include "absl/strings/match.h"

namespace certpath::documents::domain {

const std::vector<Requirement>& Clauses() {
  static const std::vector<Requirement> kClauses = {
      {"4.1", "組織及びその状況の理解", "Understanding the organization and its context"},
      {"4.2", "利害関係者のニーズ及び期待の理解",
       "Understanding the needs and expectations of interested parties"},
      {"4.3", "情報セキュリティマネジメントシステムの適用範囲の決定",
       "Determining the scope of the information security management system"},
      {"4.4", "情報セキュリティマネジメントシステム", "Information security management system"},
      {"5.1", "リーダーシップ及びコミットメント", "Leadership and commitment"},
      {"5.2", "方針", "Policy"},
      {"5.3", "組織の役割、責任及び権限", "Organizational roles, responsibilities and authorities"},
      {"6.1", "リスク及び機会に対処する活動", "Actions to address risks and opportunities"},
      {"6.2", "情報セキュリティ目的及びそれを達成するための計画策定",
       "Information security objectives and planning to achieve them"},
      {"6.3", "変更の計画策定", "Planning of changes"},
      {"7.1", "資源", "Resources"},
      {"7.2", "力量", "Competence"},
      {"7.3", "認識", "Awareness"},
      {"7.4", "コミュニケーション", "Communication"},
      {"7.5", "文書化した情報", "Documented information"},
      {"8.1", "運用の計画策定及び管理", "Operational planning and control"},
      {"8.2", "情報セキュリティリスクアセスメント", "Information security risk assessment"},
      {"8.3", "情報セキュリティリスク対応", "Information security risk treatment"},
      {"9.1", "モニタリング、測定、分析及び評価",
       "Monitoring, measurement, analysis and evaluation"},
      {"9.2", "内部監査", "Internal audit"},
      {"9.3", "マネジメントレビュー", "Management review"},
      {"10.1", "継続的改善", "Continual improvement"},
      {"10.2", "不適合及び是正処置", "Nonconformity and corrective action"},
  };
  return kClauses;
}

const std::vector<Requirement>& Controls() {
  static const std::vector<Requirement> kControls = {
      // 5 組織的管理策 (Organizational controls): 37
      {"A.5.1", "情報セキュリティのための方針群", "Policies for information security"},
      {"A.5.2", "情報セキュリティの役割及び責任",
       "Information security roles and responsibilities"},
      {"A.5.3", "職務の分離", "Segregation of duties"},
      {"A.5.4", "経営陣の責任", "Management responsibilities"},
      {"A.5.5", "関係当局との連絡", "Contact with authorities"},
      {"A.5.6", "専門組織との連絡", "Contact with special interest groups"},
      {"A.5.7", "脅威インテリジェンス", "Threat intelligence"},
      {"A.5.8", "プロジェクトマネジメントにおける情報セキュリティ",
       "Information security in project management"},
      {"A.5.9", "情報及びその他の関連資産の目録",
       "Inventory of information and other associated assets"},
      {"A.5.10", "情報及びその他の関連資産の許容される利用",
       "Acceptable use of information and other associated assets"},
      {"A.5.11", "資産の返却", "Return of assets"},
      {"A.5.12", "情報の分類", "Classification of information"},
      {"A.5.13", "情報のラベル付け", "Labelling of information"},
      {"A.5.14", "情報転送", "Information transfer"},
      {"A.5.15", "アクセス制御", "Access control"},
      {"A.5.16", "識別情報の管理", "Identity management"},
      {"A.5.17", "認証情報", "Authentication information"},
      {"A.5.18", "アクセス権", "Access rights"},
      {"A.5.19", "供給者関係における情報セキュリティ",
       "Information security in supplier relationships"},
      {"A.5.20", "供給者との合意における情報セキュリティの取扱い",
       "Addressing information security within supplier agreements"},
      {"A.5.21", "ICTサプライチェーンにおける情報セキュリティの管理",
       "Managing information security in the ICT supply chain"},
      {"A.5.22", "供給者のサービス提供の監視、レビュー及び変更管理",
       "Monitoring, review and change management of supplier services"},
      {"A.5.23", "クラウドサービスの利用における情報セキュリティ",
       "Information security for use of cloud services"},
      {"A.5.24", "情報セキュリティインシデント管理の計画策定及び準備",
       "Information security incident management planning and preparation"},
      {"A.5.25", "情報セキュリティ事象の評価及び決定",
       "Assessment and decision on information security events"},
      {"A.5.26", "情報セキュリティインシデントへの対応",
       "Response to information security incidents"},
      {"A.5.27", "情報セキュリティインシデントからの学習",
       "Learning from information security incidents"},
      {"A.5.28", "証拠の収集", "Collection of evidence"},
      {"A.5.29", "事業の中断・阻害時の情報セキュリティ", "Information security during disruption"},
      {"A.5.30", "事業継続のためのICTの備え", "ICT readiness for business continuity"},
      {"A.5.31", "法令、規制及び契約上の要求事項",
       "Legal, statutory, regulatory and contractual requirements"},
      {"A.5.32", "知的財産権", "Intellectual property rights"},
      {"A.5.33", "記録の保護", "Protection of records"},
      {"A.5.34", "プライバシー及びPIIの保護", "Privacy and protection of PII"},
      {"A.5.35", "情報セキュリティの独立したレビュー",
       "Independent review of information security"},
      {"A.5.36", "情報セキュリティのための方針群、規則及び標準の順守",
       "Compliance with policies, rules and standards for information security"},
      {"A.5.37", "操作手順書", "Documented operating procedures"},
      // 6 人的管理策 (People controls): 8
      {"A.6.1", "選考", "Screening"},
      {"A.6.2", "雇用条件", "Terms and conditions of employment"},
      {"A.6.3", "情報セキュリティの意識向上、教育及び訓練",
       "Information security awareness, education and training"},
      {"A.6.4", "懲戒手続", "Disciplinary process"},
      {"A.6.5", "雇用の終了又は変更後の責任",
       "Responsibilities after termination or change of employment"},
      {"A.6.6", "秘密保持契約又は守秘義務契約", "Confidentiality or non-disclosure agreements"},
      {"A.6.7", "リモートワーク", "Remote working"},
      {"A.6.8", "情報セキュリティ事象の報告", "Information security event reporting"},
      // 7 物理的管理策 (Physical controls): 14
      {"A.7.1", "物理的セキュリティ境界", "Physical security perimeters"},
      {"A.7.2", "物理的入退", "Physical entry"},
      {"A.7.3", "オフィス、部屋及び施設のセキュリティ", "Securing offices, rooms and facilities"},
      {"A.7.4", "物理的セキュリティの監視", "Physical security monitoring"},
      {"A.7.5", "物理的及び環境的脅威からの保護",
       "Protecting against physical and environmental threats"},
      {"A.7.6", "セキュリティを保つべき領域での作業", "Working in secure areas"},
      {"A.7.7", "クリアデスク・クリアスクリーン", "Clear desk and clear screen"},
      {"A.7.8", "装置の設置及び保護", "Equipment siting and protection"},
      {"A.7.9", "構外にある資産のセキュリティ", "Security of assets off-premises"},
      {"A.7.10", "記憶媒体", "Storage media"},
      {"A.7.11", "サポートユーティリティ", "Supporting utilities"},
      {"A.7.12", "ケーブル配線のセキュリティ", "Cabling security"},
      {"A.7.13", "装置の保守", "Equipment maintenance"},
      {"A.7.14", "装置のセキュリティを保った処分又は再利用",
       "Secure disposal or re-use of equipment"},
      // 8 技術的管理策 (Technological controls): 34
      {"A.8.1", "利用者エンドポイント機器", "User endpoint devices"},
      {"A.8.2", "特権的アクセス権", "Privileged access rights"},
      {"A.8.3", "情報へのアクセス制限", "Information access restriction"},
      {"A.8.4", "ソースコードへのアクセス", "Access to source code"},
      {"A.8.5", "セキュリティを保った認証", "Secure authentication"},
      {"A.8.6", "容量・能力の管理", "Capacity management"},
      {"A.8.7", "マルウェアに対する保護", "Protection against malware"},
      {"A.8.8", "技術的ぜい弱性の管理", "Management of technical vulnerabilities"},
      {"A.8.9", "構成管理", "Configuration management"},
      {"A.8.10", "情報の削除", "Information deletion"},
      {"A.8.11", "データマスキング", "Data masking"},
      {"A.8.12", "データ漏えいの防止", "Data leakage prevention"},
      {"A.8.13", "情報のバックアップ", "Information backup"},
      {"A.8.14", "情報処理施設の冗長性", "Redundancy of information processing facilities"},
      {"A.8.15", "ログ取得", "Logging"},
      {"A.8.16", "監視活動", "Monitoring activities"},
      {"A.8.17", "クロックの同期", "Clock synchronization"},
      {"A.8.18", "特権的なユーティリティプログラムの使用", "Use of privileged utility programs"},
      {"A.8.19", "運用システムに関わるソフトウェアの導入",
       "Installation of software on operational systems"},
      {"A.8.20", "ネットワークセキュリティ", "Networks security"},
      {"A.8.21", "ネットワークサービスのセキュリティ", "Security of network services"},
      {"A.8.22", "ネットワークの分離", "Segregation of networks"},
      {"A.8.23", "ウェブ・フィルタリング", "Web filtering"},
      {"A.8.24", "暗号の利用", "Use of cryptography"},
      {"A.8.25", "セキュリティに配慮した開発のライフサイクル", "Secure development life cycle"},
      {"A.8.26", "アプリケーションのセキュリティの要求事項", "Application security requirements"},
      {"A.8.27", "セキュリティに配慮したシステムアーキテクチャ及びシステム構築の原則",
       "Secure system architecture and engineering principles"},
      {"A.8.28", "セキュリティに配慮したコーディング", "Secure coding"},
      {"A.8.29", "開発及び受入れにおけるセキュリティテスト",
       "Security testing in development and acceptance"},
      {"A.8.30", "外部委託による開発", "Outsourced development"},
      {"A.8.31", "開発環境、テスト環境及び本番環境の分離",
       "Separation of development, test and production environments"},
      {"A.8.32", "変更管理", "Change management"},
      {"A.8.33", "テスト用情報", "Test information"},
      {"A.8.34", "監査試験中の情報システムの保護",
       "Protection of information systems during audit testing"},
  };
  return kControls;
}

const Requirement* FindRequirement(const std::string& id) {
  for (const auto* list : {&Clauses(), &Controls()}) {
    for (const auto& r : *list) {
      if (id == r.id) return &r;
    }
  }
  return nullptr;
}

std::string ReportedUnder(const std::string& id) {
  if (FindRequirement(id) != nullptr) return id;
  static const char* const kSubClauses[] = {"6.1.1", "6.1.2", "6.1.3", "7.5.1", "7.5.2", "7.5.3",
                                            "9.2.1", "9.2.2", "9.3.1", "9.3.2", "9.3.3"};
  for (const char* s : kSubClauses) {
    if (id == s) return id.substr(0, id.rfind('.'));
  }
  return "";
}

bool IsControl(const std::string& id) { return absl::StartsWith(id, "A."); }

std::string ThemeOf(const std::string& control_id) {
  return control_id.size() > 2 ? control_id.substr(2, 1) : "";
}

std::string ThemeTitleJa(const std::string& theme) {
  if (theme == "5") return "組織的管理策";
  if (theme == "6") return "人的管理策";
  if (theme == "7") return "物理的管理策";
  if (theme == "8") return "技術的管理策";
  return "";
}

}  // namespace certpath::documents::domain
