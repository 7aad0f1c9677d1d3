"""Every word a brief prints, in Bahasa Indonesia (``id``, the default) and English (``en``).

Strings are ``str.format`` templates keyed by name; both languages must hold the
same keys (a test checks it), so a brief never falls back to the other language.
Vocabularies of the data layer (outcomes, channels, services, IKM kinerja, ...)
are translated here too, because they appear in the brief's tables.
"""

from __future__ import annotations

from contextvars import ContextVar

LANGUAGES = ("id", "en")

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        # --- titles and headings ------------------------------------------------
        "title": "Ringkasan Kebijakan: Manajemen ASN Berbasis Kinerja di {area_title}",
        "title_unit": "Ringkasan Kebijakan Unit: {unit}",
        "subtitle_unit": "Manajemen ASN berbasis kinerja di {area_title}",
        "meta_period": "Periode data: {start} – {end}",
        "meta_made": "Disusun: {date}",
        "meta_run": "Kode pengolahan: {run_id}",
        "compare_same_all": "parameter dan data sama: hasil yang sama memang diharapkan",
        "compare_same_data_params": "parameter sama; data berbeda tetapi perkiraan tidak berubah",
        "compare_same_setting": "pengaturan yang berlaku sama di kedua run: {settings}",
        "compare_not_entering": "parameter yang diubah ({names}) tidak memengaruhi perkiraan ini",
        "compare_only_a": "hanya ada di run A",
        "compare_only_b": "hanya ada di run B",
        "compare_outcome": "hasil",
        "compare_change": "perubahan",
        "compare_interval_change": "perubahan selang",
        "compare_note": "catatan",
        "compare_parameter": "parameter",
        "compare_no_params": "parameter sama",
        "compare_title": "Perbandingan dua run analisis",
        "compare_estimates": "Perkiraan utama (selang kepercayaan)",
        "compare_params": "Parameter yang berbeda",
        "compare_same_sign": "arah sama",
        "compare_yes": "ya",
        "compare_no": "TIDAK",
        "since_heading": "Sejak analisis sebelumnya",
        "since_intro": "Dibandingkan dengan analisis sebelumnya (run {run_id}, data sampai {prev_end}), data kini mencakup {n_new} bulan baru ({first}–{last}).",
        "since_intro_none": "Dibandingkan dengan analisis sebelumnya (run {run_id}, data {prev_start}–{prev_end}), data ini tidak menambah bulan baru.",
        "since_moved": "perkiraan {verb} dari {before} menjadi {after}",
        "since_stayed": "perkiraan tetap {after}",
        "since_interval_moved": "selang {level} {width} (dari {lo0} sampai {hi0} menjadi {lo1} sampai {hi1})",
        "since_interval_stayed": "selang {level} tetap ({lo1} sampai {hi1})",
        "since_new": "{label}: baru diperkirakan dalam analisis ini, {after} ({level}: {lo1} sampai {hi1}).",
        "since_up": "naik",
        "since_down": "turun",
        "since_narrower": "menyempit",
        "since_wider": "melebar",
        "since_shifted": "bergeser",
        "meta_interactive": "Dari pengolahan interaktif (notebook dijalankan di JupyterLab, bukan lewat perintah "
                            "pengolahan lengkap)",
        "h_findings": "Temuan utama",
        "h_context": "Gambaran singkat",
        "h_actions": "Yang perlu dilakukan",
        "h_evidence": "Bukti",
        "h_adoption": "Penerapan manajemen kinerja",
        "h_effects": "Dampak terhadap layanan dan kinerja",
        "h_all_effects": "Ringkasan semua hasil",
        "h_ikm": "Indeks Kepuasan Masyarakat (IKM) per unit",
        "h_wait": "Waktu tunggu layanan",
        "h_robustness": "Seberapa kuat hasilnya",
        "h_heterogeneity": "Perbedaan antarjenis unit",
        "h_limitations": "Keterbatasan",
        "h_recommendations": "Rekomendasi",
        "h_provenance": "Asal-usul angka",
        "h_unit_profile": "Profil unit",
        "h_unit_ikm": "IKM unit per triwulan",
        # --- page one -----------------------------------------------------------
        "synthetic_warning": "**Perhatian:** angka dalam ringkasan ini berasal dari data sintetis (simulasi) dan hanya "
                             "menggambarkan cara kerja evaluasi; angka ini bukan kondisi nyata {area_short}.",
        "context": "Evaluasi ini mencakup {n_units} unit layanan di {area}. Sebanyak {n_adopted} unit menerapkan "
                   "manajemen ASN berbasis kinerja antara {first} dan {last} dalam {n_cohorts} gelombang; {n_never} unit "
                   "yang belum menerapkan menjadi pembanding.",
        "context_all_adopted": "Evaluasi ini mencakup {n_units} unit layanan di {area}. Semua unit menerapkan "
                               "manajemen kinerja antara {first} dan {last} dalam {n_cohorts} gelombang; unit yang "
                               "belum menerapkan pada suatu bulan menjadi pembanding.",
        "ci_explained": "Angka dalam kurung adalah selang kepercayaan {level}: rentang nilai yang sejalan dengan data. "
                        "Dampak dihitung dengan membandingkan perubahan di unit yang menerapkan dengan perubahan di unit "
                        "pembanding pada bulan yang sama.",
        "more_outcomes": "Hasil untuk {outcomes} ada pada tabel ringkasan di bagian Bukti.",
        "actions_intro": "Rincian setiap rekomendasi ada di bagian Rekomendasi.",
        # --- finding sentences (sentences.py) -----------------------------------
        "finding_clear": "{label} {direction} sekitar {size} ({level}: {low}–{high}) setelah penerapan, dari rata-rata "
                         "awal {baseline}.",
        "finding_zero": "Perubahan {label} setelah penerapan tidak dapat dibedakan dari nol: perkiraan {estimate} "
                        "({level}: {low} sampai {high}).",
        "finding_pretrend": "Perkiraan untuk {label} belum dapat diandalkan: {reason}, sehingga angka {estimate} "
                            "({level}: {low} sampai {high}) tidak boleh dibaca sebagai dampak penerapan.",
        "finding_few_units": "Angka ini hanya berdasarkan {n} unit.",
        "reason_pretest": "sebelum penerapan, tren unit yang menerapkan sudah berbeda dari unit pembanding "
                          "(uji tren sebelum penerapan, {p})",
        "reason_honest": "hasilnya tidak bertahan dalam analisis sensitivitas terhadap perbedaan tren sebelum "
                         "penerapan",
        "up": "naik",
        "down": "turun",
        # --- adoption -----------------------------------------------------------
        "adoption_text": "Gambar di bawah menunjukkan kapan setiap kelompok unit mulai menerapkan manajemen kinerja. "
                         "Gelombang terbesar ({n} unit) mulai pada {month}.",
        "fig_adoption": "Jumlah unit yang telah menerapkan manajemen kinerja, per bulan: {n} dari {total} unit pada "
                        "{end} (garis titik-titik = semua unit)",
        "cohort_table_caption": "Gelombang penerapan",
        "col_cohort_month": "Bulan mulai",
        "col_n_units": "Jumlah unit",
        "col_units_short": "Unit",
        "never_adopted": "Belum menerapkan",
        # --- effects ------------------------------------------------------------
        "effects_intro": "Setiap gambar menunjukkan selisih antara unit yang menerapkan dan unit pembanding, per bulan "
                         "sebelum dan sesudah penerapan (bulan 0). Titik sebelum bulan 0 yang dekat dengan nol mendukung "
                         "perbandingan yang adil.",
        "fig_event": "{label}: selisih antara unit yang menerapkan dan unit pembanding per bulan sebelum dan sesudah "
                     "penerapan ({unit}; titik = perkiraan, pita = selang kepercayaan {level})",
        "event_x": "Bulan sejak penerapan",
        "event_x_week": "Minggu sejak penerapan",
        "event_y": "Selisih ({unit})",
        "table_effects_caption": "Perkiraan dampak penerapan untuk semua ukuran hasil",
        "col_outcome": "Ukuran hasil",
        "col_estimate": "Perkiraan",
        "col_measure": "Satuan",
        "col_ci": "Selang {level}",
        "col_pretrend": "Uji tren sebelum penerapan (p)",
        "col_conclusion": "Kesimpulan",
        "concl_zero": "tidak jelas",
        "concl_unreliable": "belum dapat diandalkan",
        "concl_fragile": "belum kuat",
        "concl_better": "membaik",
        "concl_worse": "memburuk",
        "concl_up": "naik",
        "concl_down": "turun",
        "twfe_note": "Sebagai pembanding, cara hitung lama yang membandingkan semua unit sekaligus (disebut TWFE) "
                     "memberi {twfe} untuk {label}; cara ini dapat keliru bila unit mulai menerapkan pada waktu "
                     "berbeda, sehingga ringkasan memakai metode {estimator}.",
        # --- IKM ----------------------------------------------------------------
        "ikm_text": "Pada {quarter}, {counts}. Unit dengan responden kurang dari ukuran sampel Krejcie–Morgan ditandai "
                    "\"tidak\" pada kolom sampel memadai.",
        "ikm_count": "{n} unit bermutu {mutu}",
        "ikm_table_caption": "IKM per unit, {quarter} (PermenPANRB No. 14 Tahun 2017)",
        "col_unit": "Unit",
        "col_unit_type": "Jenis",
        "col_quarter": "Triwulan",
        "col_respondents": "Responden",
        "col_required": "Sampel minimum",
        "col_ikm": "IKM",
        "col_mutu": "Mutu",
        "col_kinerja": "Kinerja unit",
        "col_meets": "Sampel memadai",
        "yes": "ya",
        "no": "tidak",
        "quarter": "Triwulan {roman} {year}",
        "ikm_none": "Tidak ada unit dengan responden yang cukup untuk ditampilkan pada triwulan ini.",
        # --- waiting times ------------------------------------------------------
        "wait_text": "Untuk layanan prioritas (target selesai dalam satu jam), rata-rata waktu tunggu adalah {online} "
                     "untuk antrean daring dan {walk_in} untuk yang datang langsung; {share_online} tiket daring dan "
                     "{share_walk_in} tiket datang langsung selesai dalam satu jam.",
        "wait_text_other": "Rata-rata waktu tunggu layanan prioritas per kanal: {parts}.",
        "wait_table_caption": "Waktu tunggu per layanan dan kanal (menit)",
        "h_single_office": "Satu kantor, satu perubahan",
        "h_design": "Rancangan penerapan berikutnya",
        "design_text": "Jika {n} unit yang belum menerapkan mulai pada {adopt} dan diamati sampai {end}, dampak "
                       "terkecil pada {label} yang dapat dideteksi (peluang 80%) adalah: {items}.",
        "design_mde": "{schedule} {mde}",
        "design_none": "{schedule} tidak dapat dinilai (tidak ada unit pembanding dalam jendela waktu)",
        "design_note": "Angka berasal dari simulasi penerapan dengan variasi data {area_short} sendiri; penerapan bertahap "
                       "menyisakan unit pembanding sehingga dampaknya dapat diukur.",
        "sched_all": "serentak:", "sched_kelurahan": "bertahap per kelurahan:", "sched_random": "urutan acak:",
        "h_uptake": "Penggunaan, bukan hanya penerapan",
        "uptake_text": "Di unit dengan penggunaan tinggi (SKP dikirim tepat waktu, staf dinilai atasan), dampak pada "
                       "{label} lebih besar daripada di unit dengan penggunaan rendah: selisih {estimate} (selang "
                       "{low} sampai {high}).",
        "uptake_text_zero": "Dampak pada {label} tidak jelas berbeda antara unit dengan penggunaan tinggi dan rendah: "
                            "selisih {estimate} (selang {low} sampai {high}).",
        "uptake_caveat": "Penggunaan diukur sesudah penerapan, sehingga sebagian merupakan hasil penerapan itu "
                         "sendiri: angka ini menunjukkan di mana reformasi berjalan, bukan dampak menaikkan "
                         "penggunaan.",
        "rec_uptake": "**Sosialisasi dan perhatian pimpinan.**",
        "rec_uptake_text": "{n} unit yang sudah menerapkan berada di sepertiga terbawah penggunaan; unit ini perlu sosialisasi "
                           "dan perhatian pimpinan agar SKP dikirim tepat waktu dan staf dinilai: {units}.",
        "rec_uptake_none_named": "tidak ada yang cukup besar untuk disebut namanya",
        "rec_uptake_small": "{n} unit lain dengan kurang dari {min_cell} ASN tidak disebut namanya.",
        "office_text": "Sejak {month} berlaku {what}. Dalam {months} bulan sesudahnya, {label} di kantor itu "
                       "{judged}: {estimate} (selang {level}: {low} sampai {high}) dibandingkan dengan kantor "
                       "pembanding sintetis, yaitu gabungan tertimbang dari {donors} yang riwayatnya sebelum "
                       "peluncuran paling mirip dengan kantor itu.",
        "office_suppressed": "Sejak {month} berlaku {what}. Dampaknya pada {label} tidak ditampilkan: dalam "
                             "sebagian bulan kantor itu melayani kurang dari {n} tiket.",
        "office_donor_kind": "kantor {kind} ({n})",
        "office_better": "membaik", "office_worse": "memburuk", "office_up": "naik", "office_down": "turun",
        "office_zero": "tidak berubah secara jelas",
        "office_method": "Perubahan di satu kantor tidak punya kelompok pembanding bertahap, sehingga dinilai dengan "
                         "synthetic difference-in-differences (Arkhangelsky dkk. 2021); selangnya berasal dari uji "
                         "plasebo: setiap kantor pembanding bergantian berpura-pura diberi perubahan itu.",
        "col_service": "Layanan",
        "col_channel": "Kanal",
        "col_tickets": "Tiket",
        "col_wait_mean": "Rata-rata",
        "col_wait_median": "Median",
        "col_wait_p90": "90% selesai dalam",
        "col_within_1h": "Selesai ≤ 1 jam",
        "other_services": "Layanan lain (digabung)",
        "minutes_value": "{value} menit",
        # --- robustness ---------------------------------------------------------
        "robust_intro": "Hasil utama diuji dengan tiga cara. Pertama, apakah sebelum penerapan unit yang menerapkan "
                        "dan unit pembanding sudah bergerak berbeda. Kedua, analisis sensitivitas: seberapa besar "
                        "perbedaan tren yang masih dapat ditoleransi; angka M̄ menyatakan perbedaan tren sesudah "
                        "penerapan sebagai kelipatan perbedaan terbesar sebelum penerapan (M̄ = 1: sama besar). Ketiga, "
                        "cara hitung lain (pembanding, metode atau asumsi berbeda); hasil disebut searah bila "
                        "perkiraannya bertanda sama dengan hasil utama. Hasil utama sendiri, hasil kembar dan uji "
                        "tanggal semu (plasebo) tidak ikut dihitung.",
        "robust_table_caption": "Pemeriksaan ketahanan per ukuran hasil",
        "col_honest": "Tetap berbeda dari nol sampai M̄",
        "col_checks": "Cara hitung lain yang searah",
        "honest_never": "di semua M̄ yang diuji",
        "honest_zero": "tidak, bahkan pada M̄ = 0",
        "honest_only_zero": "hanya pada M̄ = 0",
        "honest_upto": "sampai M̄ = {m}",
        "checks_count": "{same} dari {total}",
        "checks_missing": "({n} tidak dapat dihitung)",
        "robust_flagged": "Peringatan tren sebelum penerapan muncul untuk: {outcomes}. Angka untuk ukuran ini tidak "
                          "boleh dipakai sebagai dasar keputusan tanpa pemeriksaan lanjutan.",
        "robust_clean": "Tidak ada peringatan tren sebelum penerapan pada {n} ukuran hasil yang diuji.",
        "robust_untested": "Tidak diuji: {outcomes}.",
        "untested_few_units": "hanya {n} unit, uji perlu minimal {need}",
        "untested_no_pre": "tidak ada cukup bulan sebelum penerapan untuk diuji",
        "untested_not_run": "uji tidak dijalankan",
        "robust_honest_text": "Untuk {label}, analisis sensitivitas menilai {target}: hasilnya tetap berbeda dari nol "
                              "selama perbedaan tren sesudah penerapan tidak lebih dari {m} kali perbedaan terbesar "
                              "sebelum penerapan.",
        "robust_honest_never": "Untuk {label}, analisis sensitivitas menilai {target}: hasilnya tetap berbeda dari "
                               "nol sampai M̄ = {m}, nilai terbesar yang diuji.",
        "robust_honest_zero": "Untuk {label}, analisis sensitivitas menilai {target}: hasilnya hanya berbeda dari nol "
                              "bila tren sesudah penerapan persis sejajar (M̄ = 0); sedikit saja perbedaan tren membuat "
                              "selangnya mencakup nol.",
        "robust_honest_includes_zero": "Untuk {label}, analisis sensitivitas menilai {target}: selangnya mencakup nol "
                                       "bahkan bila tren sesudah penerapan persis sejajar (M̄ = 0), jadi data tidak "
                                       "menyingkirkan kemungkinan tanpa dampak.",
        "robust_missing": "Pemeriksaan ketahanan tidak dijalankan dalam run ini; hasil di atas belum diuji ketahanannya.",
        "spec_text": "Dari {total} cara hitung lain untuk {label}, {same} searah dengan hasil utama.",
        # --- heterogeneity ------------------------------------------------------
        "het_text": "Dampak terhadap {label} menurut jenis unit. Perkiraan untuk kelompok kecil kurang pasti.",
        "het_table_caption": "Perkiraan dampak terhadap {label} menurut jenis unit",
        "training_channel_text": "Penerapan manajemen kinerja mengubah cakupan pelatihan ASN sekitar {estimate} "
                                 "({level}: {low} sampai {high}).",
        # --- limitations --------------------------------------------------------
        "lim_sample": "Pada {short} dari {total} unit-triwulan, jumlah responden Survei Kepuasan Masyarakat di bawah ukuran "
                      "sampel Krejcie–Morgan; IKM unit-triwulan tersebut kurang pasti. Unit yang paling sering kurang: {units}.",
        "lim_sample_ok": "Semua unit-triwulan memenuhi ukuran sampel Krejcie–Morgan.",
        "lim_unit_quarters": "{unit} ({n} triwulan)",
        "lim_few_units": "Evaluasi hanya mencakup {n_units} unit ({n_adopted} menerapkan). Dengan sedikit unit, selang "
                         "kepercayaan lebar dan satu unit dapat menggeser hasil; cara menghitung ketidakpastian per "
                         "ukuran ada di bagian Asal-usul angka.",
        "lim_outcome_units": "Beberapa ukuran hanya tersedia untuk sedikit unit, sehingga hasilnya kurang pasti: {outcomes}.",
        "lim_outcome_unit": "{label} ({n} unit)",
        "lim_control_changed": "Untuk {outcomes}, unit yang tidak pernah menerapkan terlalu sedikit, sehingga pembandingnya "
                               "adalah unit yang belum menerapkan pada bulan yang sama.",
        "lim_pretrend": "Peringatan tren sebelum penerapan: {outcomes}. Perkiraan untuk ukuran ini belum dapat diandalkan.",
        "lim_design": "Unit tidak dipilih secara acak untuk menerapkan manajemen kinerja. Perbandingan ini sahih hanya bila "
                      "tanpa penerapan, unit yang menerapkan akan berkembang sejajar dengan unit pembanding.",
        "lim_suppressed": "Untuk melindungi data pribadi, angka yang berasal dari kurang dari {min_cell} orang atau tiket "
                          "tidak ditampilkan atau digabung dengan kelompok lain. Dalam tabel, \"<{min_cell}\" berarti "
                          "jumlahnya kurang dari {min_cell}, dan tanda \"—\" hanya berarti angka disembunyikan karena "
                          "alasan itu; angka yang tidak ada karena alasan lain ditulis dengan kata-kata.",
        "lim_synthetic": "Data yang dipakai adalah data sintetis; temuan tidak boleh dipakai sebagai dasar kebijakan nyata.",
        "lim_unit_average": "Perkiraan dampak adalah rata-rata seluruh unit yang menerapkan di {area_short}, bukan dampak "
                            "khusus unit ini.",
        # --- recommendations ----------------------------------------------------
        "rec_indicators": "**Tetapkan indikator kinerja yang jelas dan terukur.**",
        "rec_indicators_skp": "Pada {year}, {share} ASN mendapat predikat SKP Baik atau Sangat Baik. Bila hampir semua ASN "
                              "mendapat predikat baik, predikat tidak lagi membedakan kinerja: kaitkan SKP dengan indikator "
                              "layanan yang terukur seperti IKM dan waktu tunggu.",
        "rec_indicators_generic": "Kaitkan sasaran kinerja ASN dengan indikator layanan yang terukur seperti IKM dan "
                                  "waktu tunggu, dan umumkan targetnya.",
        "rec_feedback": "**Jadikan penilaian kinerja transparan dan disertai umpan balik.**",
        "rec_feedback_units": "{n} unit berada pada mutu C atau D pada {quarter} ({units}). Bahas hasil SKM bersama "
                              "pegawai unit tersebut dan sepakati langkah perbaikan yang dipantau setiap triwulan.",
        "rec_feedback_ok": "Semua unit yang dapat dinilai bermutu A atau B pada {quarter}. Tetap bagikan hasil SKM dan "
                           "penilaian kinerja kepada pegawai secara berkala, disertai umpan balik tertulis.",
        "rec_feedback_unit_ok": "Unit ini bermutu {mutu} pada {quarter}. Tetap bagikan hasil SKM dan penilaian kinerja "
                                "kepada pegawai secara berkala, disertai umpan balik tertulis.",
        "rec_feedback_unit_weak": "Unit ini bermutu {mutu} pada {quarter}. Bahas hasil SKM bersama pegawai unit ini dan "
                                  "sepakati langkah perbaikan yang dipantau setiap triwulan.",
        "rec_feedback_unit_hidden": "Pada {quarter}, responden unit ini terlalu sedikit untuk menilai mutunya. Perbanyak "
                                    "responden SKM dan bahas hasilnya bersama pegawai.",
        "rec_training": "**Perkuat pelatihan.**",
        "rec_training_low": "Cakupan pelatihan terendah ada pada jenis unit {types} ({share}). Prioritaskan pelatihan "
                            "manajemen kinerja dan pelayanan prima bagi ASN di unit tersebut.",
        "rec_training_generic": "Sediakan pelatihan manajemen kinerja dan pelayanan prima bagi ASN sebelum dan selama "
                                "penerapan.",
        "rec_training_unit": "Cakupan pelatihan ASN di unit jenis {type} adalah {share}, urutan ke-{rank} dari {n} jenis "
                             "unit (urutan 1 = tertinggi). Sediakan pelatihan manajemen kinerja dan pelayanan prima "
                             "bagi ASN unit ini.",
        "rec_support": "**Dampingi unit yang belum berubah.**",
        "rec_support_never": "{n} unit belum menerapkan manajemen kinerja ({units}). Beri pendampingan, contoh praktik baik "
                             "dari unit lain, dan jadwal penerapan yang jelas.",
        "rec_support_unit": "Unit ini telah menerapkan manajemen kinerja; agar perubahan tidak berhenti pada prosedur, "
                            "tinjau hasil SKM dan capaian SKP bersama pegawai setiap triwulan.",
        "rec_support_unit_never": "Unit ini belum menerapkan manajemen kinerja. Siapkan jadwal penerapan yang jelas, "
                                  "pendampingan, dan contoh praktik baik dari unit yang sudah menerapkan.",
        "rec_keep_going": "**Jaga agar perubahan berlanjut.**",
        "rec_prepare": "**Siapkan penerapan di unit ini.**",
        "rec_support_all": "Semua unit telah menerapkan; dampingi unit dengan IKM terendah agar perubahan tidak berhenti "
                           "pada prosedur.",
        "rec_evaluation": "**Lanjutkan evaluasi secara berkala.**",
        "rec_evaluation_text": "Ulangi analisis ini setiap triwulan dengan data baru. {sample}{pretrend}",
        "rec_evaluation_sample": "Perbanyak responden SKM agar setiap unit memenuhi ukuran sampel Krejcie–Morgan. ",
        "rec_evaluation_sample_unit": "Perbanyak responden SKM unit ini agar memenuhi ukuran sampel Krejcie–Morgan. ",
        "rec_evaluation_pretrend": "Periksa lebih lanjut {outcomes} sebelum angka tersebut dipakai untuk keputusan.",
        "rec_scale_up": "Hasil utama menunjukkan perbaikan {label}; perluasan penerapan ke unit lain layak dipertimbangkan "
                        "dengan pemantauan yang sama.",
        "rec_scale_unclear": "Hasil utama untuk {label} belum jelas; perluasan sebaiknya disertai pemantauan ketat dan "
                             "evaluasi ulang.",
        # --- unit brief ---------------------------------------------------------
        "unit_profile": "{unit} adalah unit {type} di Kelurahan {kelurahan}. {adoption}",
        "kelurahan_in_kecamatan": "{kelurahan}, Kecamatan {kecamatan}",
        "unit_adopted": "Unit ini mulai menerapkan manajemen kinerja pada {month}.",
        "unit_not_adopted": "Unit ini belum menerapkan manajemen kinerja dalam periode data.",
        "unit_ikm_text": "Pada {quarter}, IKM unit ini {ikm} (mutu {mutu}, {kinerja}).",
        "unit_ikm_suppressed": "Pada {quarter}, responden unit ini kurang dari {min_cell}, sehingga IKM tidak ditampilkan.",
        "unit_ikm_table_caption": "IKM {unit} per triwulan",
        "fig_unit_ikm": "IKM {unit} per triwulan (garis putus-putus = batas mutu B dan A)",
        "unit_context": "Dampak rata-rata di seluruh {area_short}",
        "unit_het": "Untuk jenis unit {type}, perkiraan dampak terhadap {label} adalah {estimate} ({level}: {low} sampai "
                    "{high}).",
        "unit_not_found": "unit '{unit}' tidak ada dalam jadwal penerapan run ini",
        # --- provenance ---------------------------------------------------------
        "prov_run": "Kode pengolahan: {run_id}, dimulai {date}.",
        "prov_source": "Sumber data: {source}; periode {start} – {end}; {n_months} bulan.",
        "prov_git": "Versi kode: {commit}{dirty}.",
        "prov_dirty": " (dengan perubahan yang belum disimpan)",
        "prov_params_none": "Pengaturan: semua pengaturan bawaan (analisis utama).",
        "prov_params": "Pengaturan yang berbeda dari bawaan:",
        "prov_param_row": "{name} = {value} (bawaan: {default})",
        "prov_quality": "Mutu data: dari {raw} baris mentah, {clean} dipakai, {rejected} ditolak, dan {duplicate} "
                        "duplikat digabung.",
        "prov_ignored": "{n} berkas di folder data mentah tidak dibaca:",
        "ignored_temporary": "berkas sementara atau tersembunyi (misalnya berkas kunci Excel)",
        "ignored_unknown_name": "namanya tidak cocok dengan ekspor mana pun yang dikenal",
        "ignored_unreadable": "jenis berkasnya tidak dapat dibaca",
        "ignored_other": "tidak dikenali",
        "prov_quality_table_caption": "Baris data per tabel",
        "col_table": "Tabel",
        "col_rows_raw": "Mentah",
        "col_rows_clean": "Dipakai",
        "col_rows_rejected": "Ditolak",
        "col_rows_duplicate": "Duplikat",
        "prov_method": "Metode: {estimator}; tingkat signifikansi {alp}. Pembanding dan cara menghitung "
                       "ketidakpastian yang benar-benar dipakai untuk setiap ukuran ada pada tabel di bawah.",
        "prov_method_caption": "Pembanding dan cara menghitung ketidakpastian per ukuran hasil",
        "col_control": "Pembanding",
        "col_inference": "Ketidakpastian",
        "col_reason": "Alasan",
        "reason_few_never": "hanya {n0} unit yang tidak pernah menerapkan (perlu minimal {n1}), sehingga pembanding "
                            "diganti otomatis",
        "reason_few_clusters": "hanya {n0} unit (kurang dari {n1}), sehingga dipakai pengambilan ulang per unit",
        "reason_many_clusters": "{n0} unit (minimal {n1}), cukup untuk rumus standar",
        "reason_requested": "dipilih dalam pengaturan ({n0} unit)",
        "reason_tiny": "hanya {n0} unit (kurang dari {n1}), terlalu sedikit untuk pengambilan ulang; dipakai rumus "
                       "dengan koreksi untuk unit sedikit",
        "reason_as_specified": "sesuai pengaturan",
        "reason_unknown": "dipilih otomatis",
        "reason_none": "tidak tercatat",
        "prov_reproduce": "Semua angka dibaca dari tabel hasil pengolahan ini; ringkasan ini tidak menghitung ulang "
                          "perkiraan apa pun.",
        "prov_truth": "Validasi pada data sintetis: dampak sebenarnya terhadap {label} adalah {truth}; selang {level} "
                      "hasil utama {covers}.",
        "covers_yes": "mencakupnya",
        "covers_no": "tidak mencakupnya",
        "source_synthetic": "data sintetis (simulasi)",
        "source_export": "ekspor data instansi",
        "unknown_commit": "tidak tercatat",
        "empty_value": "(kosong)",
        "and_more": "{n} unit lainnya",
        "to": "sampai",
        "not_computed": "tidak dihitung",
        "not_tested": "tidak diuji",
        "not_estimable": "tidak dapat diperkirakan",
        "not_mergeable": "tidak dapat digabung",
        "not_priority": "tanpa target satu jam",
        "not_recorded": "tidak tercatat",
        "finding_fragile": "Namun hasil ini belum kuat: analisis sensitivitas tidak menyingkirkan kemungkinan tanpa "
                           "dampak (lihat Seberapa kuat hasilnya).",
        "claim_source": "Sumber: tabel {table}, baris {row}, kolom {column}",
        "h_glossary": "Daftar istilah",
        "h_sources": "Sumber angka",
        "sources_text": "Setiap angka dalam ringkasan ini dibaca dari tabel hasil pengolahan dan diperiksa ulang secara "
                        "otomatis. Di versi HTML, arahkan kursor ke angka untuk melihat tabel, baris dan kolom asalnya; "
                        "daftar lengkapnya ada di berkas claims.csv di samping ringkasan ini.",
        "col_section": "Bagian",
        "col_sources": "Sumber",
        "sources_caption": "Tabel hasil yang menjadi sumber angka setiap bagian",
        "section_summary": "Ringkasan (halaman pertama)",
        "section_evidence": "Bukti",
        "section_limitations": "Keterbatasan",
        "section_recommendations": "Rekomendasi",
        "section_provenance": "Asal-usul angka",
        "lim_sample_unit": "Pada {short} dari {total} triwulan, jumlah responden Survei Kepuasan Masyarakat unit ini di "
                           "bawah ukuran sampel Krejcie–Morgan; IKM triwulan tersebut kurang pasti.{units}",
        "lim_sample_ok_unit": "Pada setiap triwulan, responden unit ini memenuhi ukuran sampel Krejcie–Morgan.",
        "event_band": "Selang {level}",
        "target_mean": "rata-rata dampak {unit} {first}–{last} sesudah penerapan",
        "target_one": "dampak pada {unit} {e} sesudah penerapan",
        "target_month": "bulan",
        "target_week": "minggu",
        "target_month_one": "bulan",
        "target_week_one": "minggu",
        "h_comparators": "Lampiran: metode lain",
        "comparators_text": "Gambar berikut menempatkan hasil metode utama ({estimator}) di samping metode lain untuk "
                            "{label}. Bila titik-titiknya berdekatan, kesimpulan tidak bergantung pada pilihan metode.",
        "fig_comparators": "{label}: perkiraan per bulan menurut metode utama dan metode lain ({unit})",
        "event_estimate": "Perkiraan",
    },
    "en": {
        "title": "Policy Brief: Performance-Based ASN Management in {area_title}",
        "title_unit": "Unit Policy Brief: {unit}",
        "subtitle_unit": "Performance-based ASN management in {area_title}",
        "meta_period": "Data period: {start} – {end}",
        "meta_made": "Prepared: {date}",
        "meta_run": "Run code: {run_id}",
        "compare_same_all": "same parameters and data: the same result is expected",
        "compare_same_data_params": "same parameters; the data differ but the estimate did not move",
        "compare_same_setting": "the same setting was in effect in both runs: {settings}",
        "compare_not_entering": "the changed parameters ({names}) do not enter this estimate",
        "compare_only_a": "only in run A",
        "compare_only_b": "only in run B",
        "compare_outcome": "outcome",
        "compare_change": "change",
        "compare_interval_change": "interval change",
        "compare_note": "note",
        "compare_parameter": "parameter",
        "compare_no_params": "same parameters",
        "compare_title": "Comparison of two analysis runs",
        "compare_estimates": "Headline estimates (confidence interval)",
        "compare_params": "Parameters that differ",
        "compare_same_sign": "same sign",
        "compare_yes": "yes",
        "compare_no": "NO",
        "since_heading": "Since the previous analysis",
        "since_intro": "Compared with the previous analysis (run {run_id}, data to {prev_end}), the data now cover {n_new} new months ({first}–{last}).",
        "since_intro_none": "Compared with the previous analysis (run {run_id}, data {prev_start}–{prev_end}), these data add no new months.",
        "since_moved": "the estimate {verb} from {before} to {after}",
        "since_stayed": "the estimate stayed at {after}",
        "since_interval_moved": "the {level} interval {width} (from {lo0} to {hi0}, now {lo1} to {hi1})",
        "since_interval_stayed": "the {level} interval is unchanged ({lo1} to {hi1})",
        "since_new": "{label}: estimated for the first time, {after} ({level}: {lo1} to {hi1}).",
        "since_up": "rose",
        "since_down": "fell",
        "since_narrower": "narrowed",
        "since_wider": "widened",
        "since_shifted": "shifted",
        "meta_interactive": "From an interactive run (notebooks run in JupyterLab, not `analysis run`)",
        "h_findings": "Key findings",
        "h_context": "At a glance",
        "h_actions": "What to do",
        "h_evidence": "Evidence",
        "h_adoption": "Adoption of performance management",
        "h_effects": "Effects on services and performance",
        "h_all_effects": "Summary of all results",
        "h_ikm": "Citizen Satisfaction Index (IKM) by unit",
        "h_wait": "Waiting times",
        "h_robustness": "How solid the results are",
        "h_heterogeneity": "Differences between unit types",
        "h_limitations": "Limitations",
        "h_recommendations": "Recommendations",
        "h_provenance": "Where the numbers come from",
        "h_unit_profile": "Unit profile",
        "h_unit_ikm": "The unit's IKM by quarter",
        "synthetic_warning": "**Note:** the numbers in this brief come from synthetic (simulated) data and only "
                             "illustrate how the evaluation works; they do not describe the real situation in {area_short}.",
        "context": "This evaluation covers {n_units} service units in {area}. {n_adopted} units adopted "
                   "performance-based management between {first} and {last} in {n_cohorts} waves; the {n_never} units "
                   "that had not adopted serve as the comparison.",
        "context_all_adopted": "This evaluation covers {n_units} service units in {area}. All units adopted "
                               "performance-based management between {first} and {last} in {n_cohorts} waves; units "
                               "that had not yet adopted in a given month serve as the comparison.",
        "ci_explained": "Figures in brackets are {level} confidence intervals: the range of values consistent with the "
                        "data. Effects compare the change in adopting units with the change in comparison units over "
                        "the same months.",
        "more_outcomes": "Results for {outcomes} are in the summary table in the Evidence section.",
        "actions_intro": "Each recommendation is explained in the Recommendations section.",
        "finding_clear": "{label} {direction} by about {size} ({level}: {low}–{high}) after adoption, from a baseline "
                         "average of {baseline}.",
        "finding_zero": "The change in {label} after adoption cannot be distinguished from zero: estimate {estimate} "
                        "({level}: {low} to {high}).",
        "finding_pretrend": "The estimate for {label} is not reliable: {reason}, so the figure of {estimate} "
                            "({level}: {low} to {high}) must not be read as an effect of adoption.",
        "finding_few_units": "This figure rests on only {n} units.",
        "reason_pretest": "before adoption, adopting units were already trending differently from comparison units "
                          "(pre-trend test {p})",
        "reason_honest": "the result does not survive the sensitivity analysis for differing pre-adoption trends",
        "up": "rose",
        "down": "fell",
        "adoption_text": "The figure below shows when each group of units began using performance-based management. "
                         "The largest wave ({n} units) began in {month}.",
        "fig_adoption": "Number of units using performance-based management, by month: {n} of {total} units by "
                        "{end} (dotted line = all units)",
        "cohort_table_caption": "Adoption waves",
        "col_cohort_month": "Start month",
        "col_n_units": "Units",
        "col_units_short": "Units",
        "never_adopted": "Not yet adopted",
        "effects_intro": "Each figure shows the difference between adopting and comparison units, month by month before "
                         "and after adoption (month 0). Points before month 0 close to zero support a fair comparison.",
        "fig_event": "{label}: difference between adopting and comparison units, month by month before and after "
                     "adoption ({unit}; dots = estimates, band = {level} confidence interval)",
        "event_x": "Months since adoption",
        "event_x_week": "Weeks since adoption",
        "event_y": "Difference ({unit})",
        "table_effects_caption": "Estimated effects of adoption on all outcomes",
        "col_outcome": "Outcome",
        "col_estimate": "Estimate",
        "col_measure": "Measured in",
        "col_ci": "{level} interval",
        "col_pretrend": "Pre-trend test (p)",
        "col_conclusion": "Conclusion",
        "concl_zero": "unclear",
        "concl_unreliable": "not reliable",
        "concl_fragile": "not yet solid",
        "concl_better": "improved",
        "concl_worse": "worsened",
        "concl_up": "rose",
        "concl_down": "fell",
        "twfe_note": "For comparison, the older method that compares all units at once (called TWFE) gives {twfe} "
                     "for {label}; it can mislead when units adopt at different times, so the summary uses "
                     "{estimator}.",
        "ikm_text": "In {quarter}, {counts}. Units with fewer respondents than the Krejcie–Morgan sample size are "
                    "marked \"no\" in the adequate-sample column.",
        "ikm_count": "{n} units had grade {mutu}",
        "ikm_table_caption": "IKM by unit, {quarter} (PermenPANRB Regulation 14/2017)",
        "col_unit": "Unit",
        "col_unit_type": "Type",
        "col_quarter": "Quarter",
        "col_respondents": "Respondents",
        "col_required": "Minimum sample",
        "col_ikm": "IKM",
        "col_mutu": "Grade",
        "col_kinerja": "Unit performance",
        "col_meets": "Adequate sample",
        "yes": "yes",
        "no": "no",
        "quarter": "Q{number} {year}",
        "ikm_none": "No unit had enough respondents to be shown for this quarter.",
        "wait_text": "For priority services (target: finished within one hour), the average wait was {online} for the "
                     "online queue and {walk_in} for walk-ins; {share_online} of online tickets and {share_walk_in} of "
                     "walk-in tickets were finished within one hour.",
        "wait_text_other": "Average waiting time for priority services by channel: {parts}.",
        "wait_table_caption": "Waiting time by service and channel (minutes)",
        "h_single_office": "One office, one change",
        "h_design": "Designing the next rollout",
        "design_text": "If the {n} units that have not adopted start in {adopt} and are followed until {end}, the "
                       "smallest effect on {label} that could be detected (80% power) is: {items}.",
        "design_mde": "{schedule} {mde}",
        "design_none": "{schedule} cannot be evaluated (no comparison unit left in the window)",
        "design_note": "The numbers come from simulated rollouts with {area_short}'s own data variation; a staggered "
                       "rollout keeps comparison units, so its effect can be measured.",
        "sched_all": "all at once:", "sched_kelurahan": "staggered by kelurahan:", "sched_random": "randomised order:",
        "h_uptake": "Use, not only adoption",
        "uptake_text": "In units with high uptake (SKP submitted on time, staff appraised by supervisors), the effect "
                       "on {label} was larger than in units with low uptake: a difference of {estimate} (interval "
                       "{low} to {high}).",
        "uptake_text_zero": "The effect on {label} did not clearly differ between units with high and low uptake: a "
                            "difference of {estimate} (interval {low} to {high}).",
        "uptake_caveat": "Uptake is measured after adoption, so it is partly a result of adoption itself: this shows "
                         "where the reform worked, not the effect of raising uptake.",
        "rec_uptake": "**Sosialisasi and leadership attention.**",
        "rec_uptake_text": "{n} adopting units are in the lowest third of uptake; they need sosialisasi and their "
                           "leaders' attention so that SKP is submitted on time and staff are appraised: {units}.",
        "rec_uptake_none_named": "none large enough to be named",
        "rec_uptake_small": "Units with fewer than {min_cell} ASN are not named ({n} more).",
        "office_text": "Since {month}, {what} has been running. In the {months} months that followed, {label} at "
                       "that office {judged}: {estimate} ({level} interval: {low} to {high}) compared with a "
                       "synthetic comparison office, a weighted blend of {donors} whose history before the launch "
                       "was closest to the office's.",
        "office_suppressed": "Since {month}, {what} has been running. Its effect on {label} is not shown: in some "
                             "months the office served fewer than {n} tickets.",
        "office_donor_kind": "{kind} ({n})",
        "office_better": "improved", "office_worse": "worsened", "office_up": "rose", "office_down": "fell",
        "office_zero": "did not change clearly",
        "office_method": "A change at one office has no staggered comparison groups, so it is judged by synthetic "
                         "difference-in-differences (Arkhangelsky et al. 2021); its interval comes from a placebo "
                         "test in which each comparison office in turn pretends to have made the change.",
        "col_service": "Service",
        "col_channel": "Channel",
        "col_tickets": "Tickets",
        "col_wait_mean": "Mean",
        "col_wait_median": "Median",
        "col_wait_p90": "90% done within",
        "col_within_1h": "Done ≤ 1 hour",
        "other_services": "Other services (merged)",
        "minutes_value": "{value} minutes",
        "robust_intro": "The main results were tested in three ways. First, whether adopting and comparison units "
                        "were already moving differently before adoption. Second, a sensitivity analysis: how large a "
                        "difference in trends the result tolerates; M̄ states the post-adoption difference in trends as "
                        "a multiple of the largest pre-adoption difference (M̄ = 1: as large). Third, other ways of "
                        "computing the effect (another comparison group, method or assumption); a result is in the "
                        "same direction when its estimate has the sign of the main result. The main result itself, "
                        "identical results and placebo (fake) adoption dates are not counted.",
        "robust_table_caption": "Robustness checks by outcome",
        "col_honest": "Still different from zero up to M̄",
        "col_checks": "Other computations in the same direction",
        "honest_never": "at every M̄ tested",
        "honest_zero": "no, not even at M̄ = 0",
        "honest_only_zero": "only at M̄ = 0",
        "honest_upto": "up to M̄ = {m}",
        "checks_count": "{same} of {total}",
        "checks_missing": "({n} could not be computed)",
        "robust_flagged": "A pre-adoption trend warning was raised for: {outcomes}. Figures for these outcomes must not "
                          "be used for decisions without further checks.",
        "robust_clean": "No pre-adoption trend warning was raised for the {n} outcomes tested.",
        "robust_untested": "Not tested: {outcomes}.",
        "untested_few_units": "only {n} units, the test needs at least {need}",
        "untested_no_pre": "not enough months before adoption to test",
        "untested_not_run": "the test was not run",
        "robust_honest_text": "For {label}, the sensitivity analysis assesses {target}: it still differs from zero as "
                              "long as the post-adoption difference in trends is no larger than {m} times the largest "
                              "pre-adoption difference.",
        "robust_honest_never": "For {label}, the sensitivity analysis assesses {target}: it still differs from zero up "
                               "to M̄ = {m}, the largest value tested.",
        "robust_honest_zero": "For {label}, the sensitivity analysis assesses {target}: it differs from zero only if "
                              "post-adoption trends are exactly parallel (M̄ = 0); any difference in trends makes its "
                              "interval include zero.",
        "robust_honest_includes_zero": "For {label}, the sensitivity analysis assesses {target}: its interval includes "
                                       "zero even if post-adoption trends are exactly parallel (M̄ = 0), so the data do "
                                       "not exclude no effect.",
        "robust_missing": "Robustness checks were not run in this run; the results above have not been stress-tested.",
        "spec_text": "Of {total} other ways of computing {label}, {same} point in the same direction as the main "
                     "result.",
        "het_text": "Effect on {label} by unit type. Estimates for small groups are less certain.",
        "het_table_caption": "Estimated effect on {label} by unit type",
        "training_channel_text": "Adopting performance management changed ASN training coverage by about {estimate} "
                                 "({level}: {low} to {high}).",
        "lim_sample": "In {short} of {total} unit-quarters, the number of Citizen Satisfaction Survey respondents was "
                      "below the Krejcie–Morgan sample size, so the IKM for those unit-quarters is less certain. Units "
                      "most often short: {units}.",
        "lim_sample_ok": "Every unit-quarter met the Krejcie–Morgan sample size.",
        "lim_unit_quarters": "{unit} ({n} quarters)",
        "lim_few_units": "The evaluation covers only {n_units} units ({n_adopted} adopted). With few units, intervals "
                         "are wide and a single unit can move the result; how uncertainty was computed for each "
                         "outcome is in Where the numbers come from.",
        "lim_outcome_units": "Some outcomes are measured in only a few units, so their results are less certain: "
                             "{outcomes}.",
        "lim_outcome_unit": "{label} ({n} units)",
        "lim_control_changed": "For {outcomes}, there were too few never-adopting units, so units that had not yet "
                               "adopted in the same month serve as the comparison.",
        "lim_pretrend": "Pre-adoption trend warnings: {outcomes}. Estimates for these outcomes are not reliable yet.",
        "lim_design": "Units were not randomly chosen to adopt performance management. The comparison is valid only if, "
                      "without adoption, adopting units would have developed in parallel with comparison units.",
        "lim_suppressed": "To protect personal data, figures based on fewer than {min_cell} people or tickets are not "
                          "shown or are merged with another group. In tables, \"<{min_cell}\" means fewer than "
                          "{min_cell}, and \"—\" only means a figure hidden for that reason; figures missing for any "
                          "other reason are said in words.",
        "lim_synthetic": "The data are synthetic; the findings must not be used for real policy decisions.",
        "lim_unit_average": "Effect estimates are averages over all adopting units in {area_short}, not effects specific to "
                            "this unit.",
        "rec_indicators": "**Set clear, measurable performance indicators.**",
        "rec_indicators_skp": "In {year}, {share} of ASN received an SKP rating of Good or Very Good. When almost everyone "
                              "is rated good, the rating no longer distinguishes performance: link SKP targets to "
                              "measurable service indicators such as IKM and waiting time.",
        "rec_indicators_generic": "Link ASN performance targets to measurable service indicators such as IKM and "
                                  "waiting time, and publish the targets.",
        "rec_feedback": "**Make appraisal transparent and give feedback.**",
        "rec_feedback_units": "{n} units were graded C or D in {quarter} ({units}). Discuss the survey results with the "
                              "staff of these units and agree on improvement steps monitored every quarter.",
        "rec_feedback_ok": "Every unit that could be graded was graded A or B in {quarter}. Keep sharing survey and "
                           "appraisal results with staff regularly, with written feedback.",
        "rec_feedback_unit_ok": "The unit was graded {mutu} in {quarter}. Keep sharing survey and appraisal results "
                                "with staff regularly, with written feedback.",
        "rec_feedback_unit_weak": "The unit was graded {mutu} in {quarter}. Discuss the survey results with its staff "
                                  "and agree on improvement steps monitored every quarter.",
        "rec_feedback_unit_hidden": "In {quarter}, the unit had too few respondents to be graded. Survey more "
                                    "respondents and discuss the results with staff.",
        "rec_training": "**Strengthen training.**",
        "rec_training_low": "Training coverage is lowest in {types} units ({share}). Prioritise performance-management "
                            "and service-excellence training for ASN in these units.",
        "rec_training_generic": "Provide performance-management and service-excellence training for ASN before and "
                                "during adoption.",
        "rec_training_unit": "Training coverage of ASN in {type} units is {share}, rank {rank} of {n} unit types "
                             "(rank 1 = highest). Provide performance-management and service-excellence training for "
                             "the unit's ASN.",
        "rec_support": "**Support units that have not changed yet.**",
        "rec_support_never": "{n} units have not adopted performance management ({units}). Offer mentoring, examples of "
                             "good practice from other units and a clear adoption schedule.",
        "rec_support_unit": "The unit has adopted performance management; so that change goes beyond procedures, "
                            "review survey results and SKP achievements with staff every quarter.",
        "rec_support_unit_never": "The unit has not adopted performance management. Prepare a clear adoption schedule, "
                                  "mentoring and examples of good practice from units that have adopted.",
        "rec_keep_going": "**Keep the change going.**",
        "rec_prepare": "**Prepare adoption in this unit.**",
        "rec_support_all": "All units have adopted; support the units with the lowest IKM so that change goes beyond "
                           "procedures.",
        "rec_evaluation": "**Keep evaluating.**",
        "rec_evaluation_text": "Repeat this analysis every quarter with new data. {sample}{pretrend}",
        "rec_evaluation_sample": "Survey more respondents so that every unit meets the Krejcie–Morgan sample size. ",
        "rec_evaluation_sample_unit": "Survey more of the unit's users so that it meets the Krejcie–Morgan sample "
                                      "size. ",
        "rec_evaluation_pretrend": "Investigate {outcomes} further before those figures are used for decisions.",
        "rec_scale_up": "The main result shows an improvement in {label}; extending adoption to other units is worth "
                        "considering, with the same monitoring.",
        "rec_scale_unclear": "The main result for {label} is not yet clear; any extension should come with close "
                             "monitoring and a repeat evaluation.",
        "unit_profile": "{unit} is a {type} unit in {kelurahan}. {adoption}",
        "kelurahan_in_kecamatan": "{kelurahan}, {kecamatan} district",
        "unit_adopted": "The unit began using performance-based management in {month}.",
        "unit_not_adopted": "The unit had not adopted performance-based management within the data period.",
        "unit_ikm_text": "In {quarter}, the unit's IKM was {ikm} (grade {mutu}, {kinerja}).",
        "unit_ikm_suppressed": "In {quarter}, the unit had fewer than {min_cell} respondents, so its IKM is not shown.",
        "unit_ikm_table_caption": "IKM of {unit} by quarter",
        "fig_unit_ikm": "IKM of {unit} by quarter (dashed lines = grade B and A thresholds)",
        "unit_context": "Average effects across {area_short}",
        "unit_het": "For {type} units, the estimated effect on {label} is {estimate} ({level}: {low} to {high}).",
        "unit_not_found": "unit '{unit}' is not in this run's adoption schedule",
        "prov_run": "Run code: {run_id}, started {date}.",
        "prov_source": "Data source: {source}; period {start} – {end}; {n_months} months.",
        "prov_git": "Code version: {commit}{dirty}.",
        "prov_dirty": " (with uncommitted changes)",
        "prov_params_none": "Settings: all defaults (the main analysis).",
        "prov_params": "Settings that differ from the defaults:",
        "prov_param_row": "{name} = {value} (default: {default})",
        "prov_quality": "Data quality: of {raw} raw rows, {clean} were used, {rejected} were rejected and {duplicate} "
                        "duplicates were merged.",
        "prov_ignored": "{n} files in the raw data folder were not read:",
        "ignored_temporary": "a temporary or hidden file (e.g. an Excel lock file)",
        "ignored_unknown_name": "its name matches no known export",
        "ignored_unreadable": "its file type cannot be read",
        "ignored_other": "not recognised",
        "prov_quality_table_caption": "Data rows by table",
        "col_table": "Table",
        "col_rows_raw": "Raw",
        "col_rows_clean": "Used",
        "col_rows_rejected": "Rejected",
        "col_rows_duplicate": "Duplicates",
        "prov_method": "Method: {estimator}; significance level {alp}. The comparison group and the way uncertainty "
                       "was computed for each outcome, as actually used, are in the table below.",
        "prov_method_caption": "Comparison group and uncertainty method by outcome",
        "col_control": "Comparison",
        "col_inference": "Uncertainty",
        "col_reason": "Why",
        "reason_few_never": "only {n0} never-adopting units (at least {n1} needed), so the comparison was switched "
                            "automatically",
        "reason_few_clusters": "only {n0} units (fewer than {n1}), so resampling by unit was used",
        "reason_many_clusters": "{n0} units (at least {n1}), enough for the standard formula",
        "reason_requested": "chosen in the settings ({n0} units)",
        "reason_tiny": "only {n0} units (fewer than {n1}), too few for resampling; the formula corrected for few "
                       "units was used",
        "reason_as_specified": "as set",
        "reason_unknown": "chosen automatically",
        "reason_none": "not recorded",
        "prov_reproduce": "Every number is read from this run's result tables; this brief re-estimates nothing.",
        "prov_truth": "Check on synthetic data: the true effect on {label} is {truth}; the main {level} interval "
                      "{covers}.",
        "covers_yes": "contains it",
        "covers_no": "does not contain it",
        "source_synthetic": "synthetic (simulated) data",
        "source_export": "agency data export",
        "unknown_commit": "not recorded",
        "empty_value": "(empty)",
        "and_more": "{n} other units",
        "to": "to",
        "not_computed": "not computed",
        "not_tested": "not tested",
        "not_estimable": "not estimable",
        "not_mergeable": "cannot be merged",
        "not_priority": "no one-hour target",
        "not_recorded": "not recorded",
        "finding_fragile": "This result is not yet solid: the sensitivity analysis does not exclude no effect (see How "
                           "solid the results are).",
        "claim_source": "Source: table {table}, row {row}, column {column}",
        "h_glossary": "Glossary",
        "h_sources": "Where each number comes from",
        "sources_text": "Every number in this brief is read from the run's result tables and checked again "
                        "automatically. In the HTML version, hover over a number to see its table, row and column; the "
                        "full list is in the file claims.csv next to this brief.",
        "col_section": "Section",
        "col_sources": "Sources",
        "sources_caption": "Result tables behind the numbers of each section",
        "section_summary": "Summary (page one)",
        "section_evidence": "Evidence",
        "section_limitations": "Limitations",
        "section_recommendations": "Recommendations",
        "section_provenance": "Where the numbers come from",
        "lim_sample_unit": "In {short} of {total} quarters, the unit's Citizen Satisfaction Survey respondents were below "
                           "the Krejcie–Morgan sample size, so its IKM for those quarters is less certain.{units}",
        "lim_sample_ok_unit": "In every quarter, the unit's respondents met the Krejcie–Morgan sample size.",
        "event_band": "{level} interval",
        "target_mean": "the average effect over {unit} {first}–{last} after adoption",
        "target_one": "the effect in {unit} {e} after adoption",
        "target_month": "months",
        "target_week": "weeks",
        "target_month_one": "month",
        "target_week_one": "week",
        "h_comparators": "Appendix: other methods",
        "comparators_text": "The figure below sets the main method ({estimator}) beside other methods for {label}. "
                            "When the dots lie close together, the conclusion does not depend on the choice of method.",
        "fig_comparators": "{label}: month-by-month estimates from the main method and other methods ({unit})",
        "event_estimate": "Estimate",
    },
}

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}

#: Outcome noun phrases (as the subject of a sentence) and units of their effects.
OUTCOME_LABEL = {
    "id": {
        "ikm": "Indeks Kepuasan Masyarakat (IKM)",
        "wait_minutes": "waktu tunggu",
        "service_minutes": "lama pelayanan",
        "share_within_1h": "porsi layanan selesai dalam satu jam",
        "online_share": "porsi layanan lewat antrean daring",
        "skp_good_share": "porsi ASN berpredikat SKP Baik atau Sangat Baik",
        "training_coverage": "cakupan pelatihan ASN",
        "assessment_score": "skor asesmen sekolah",
        "incidence_per_10k": "laporan kasus penyakit menular",
    },
    "en": {
        "ikm": "the Citizen Satisfaction Index (IKM)",
        "wait_minutes": "waiting time",
        "service_minutes": "service time",
        "share_within_1h": "the share of services finished within one hour",
        "online_share": "the share of services booked online",
        "skp_good_share": "the share of ASN rated Good or Very Good (SKP)",
        "training_coverage": "ASN training coverage",
        "assessment_score": "school assessment scores",
        "incidence_per_10k": "reported communicable-disease cases",
    },
}
OUTCOME_UNIT = {
    "id": {"points": "poin", "minutes": "menit", "pp": "poin persentase", "per10k": "per 10.000 penduduk"},
    "en": {"points": "points", "minutes": "minutes", "pp": "percentage points", "per10k": "per 10,000 residents"},
}
UNIT_TYPES = {
    "id": {"disdukcapil": "Disdukcapil", "kecamatan": "kecamatan", "kelurahan": "kelurahan", "puskesmas": "puskesmas",
           "school": "sekolah"},
    "en": {"disdukcapil": "civil registry", "kecamatan": "district office", "kelurahan": "sub-district office",
           "puskesmas": "health centre", "school": "school"},
}
CHANNELS = {
    "id": {"online": "daring", "walk_in": "datang langsung"},
    "en": {"online": "online", "walk_in": "walk-in"},
}
KINERJA = {
    "id": {"Sangat Baik": "Sangat Baik", "Baik": "Baik", "Kurang Baik": "Kurang Baik", "Tidak Baik": "Tidak Baik"},
    "en": {"Sangat Baik": "Very good", "Baik": "Good", "Kurang Baik": "Fair", "Tidak Baik": "Poor"},
}
#: Service names are official Indonesian names; English briefs gloss them.
SERVICES = {
    "id": {},
    "en": {
        "KTP-el": "e-ID card (KTP-el)", "KK": "Family card (KK)", "Akta Kelahiran": "Birth certificate",
        "Akta Kematian": "Death certificate", "Akta Perkawinan": "Marriage certificate",
        "Surat Pindah": "Change of address", "KIA": "Child ID card (KIA)", "Legalisir Dokumen": "Document legalisation",
        "Perubahan Biodata": "Personal data change", "Surat Keterangan Ahli Waris": "Heirship certificate",
        "Surat Pengantar": "Cover letter", "Surat Keterangan Domisili": "Domicile certificate",
        "SKTM": "Low-income certificate (SKTM)", "Surat Keterangan Usaha": "Business certificate",
        "Pemeriksaan Kesehatan": "Health check", "Imunisasi": "Immunisation", "Layanan Pendidikan": "Education services",
    },
}
ESTIMATORS = {
    "id": {"cs": "Callaway–Sant'Anna", "callaway_santanna": "Callaway–Sant'Anna", "sun_abraham": "Sun–Abraham", "twfe": "TWFE (cara hitung lama)", "sunab": "Sun–Abraham",
           "imputation": "imputasi (Borusyak–Jaravel–Spiess)", "twfe_event": "TWFE per bulan (cara hitung lama)"},
    "en": {"cs": "Callaway–Sant'Anna", "callaway_santanna": "Callaway–Sant'Anna", "sun_abraham": "Sun–Abraham",
           "twfe": "two-way fixed effects (TWFE)", "sunab": "Sun–Abraham",
           "imputation": "the imputation estimator (Borusyak–Jaravel–Spiess)",
           "twfe_event": "TWFE by month (older method)"},
}
INFERENCE = {
    "id": {"analytic": "rumus standar (analitis)", "bootstrap": "pengambilan ulang (bootstrap)",
           "wild": "pengambilan ulang per unit (wild bootstrap)",
           "wild_bootstrap": "pengambilan ulang per unit (wild bootstrap)",
           "randomization": "pengacakan tanggal penerapan", "auto": "dipilih otomatis"},
    "en": {"analytic": "the standard formula (analytic)", "bootstrap": "resampling (bootstrap)",
           "wild": "resampling by unit (wild bootstrap)", "wild_bootstrap": "resampling by unit (wild bootstrap)",
           "randomization": "reshuffling adoption dates", "auto": "chosen automatically"},
}
#: Run parameters in words (a brief never prints a parameter's code name).
PARAM_NAMES = {
    "id": {"raw_dir": "folder data mentah", "interim_dir": "folder data antara", "processed_dir": "folder data olahan",
           "synthesize": "pembuatan data sintetis", "start_month": "bulan pertama", "end_month": "bulan terakhir",
           "units": "unit yang dianalisis", "unit_types": "jenis unit yang dianalisis", "outcomes": "ukuran hasil",
           "estimator": "metode utama", "est_method": "cara penyesuaian pembanding",
           "control_group": "kelompok pembanding", "covariates": "ciri unit yang diperhitungkan",
           "anticipation": "bulan antisipasi sebelum penerapan", "base_period": "bulan acuan",
           "min_e": "bulan pertama grafik", "max_e": "bulan terakhir grafik",
           "inference": "cara menghitung ketidakpastian", "biters": "jumlah pengambilan ulang",
           "alp": "tingkat signifikansi", "seed": "benih acak", "language": "bahasa ringkasan",
           "min_cell": "jumlah terkecil yang ditampilkan", "synth_months": "bulan data sintetis",
           "synth_scale": "skala data sintetis", "synth_pretrend_violation": "perbedaan tren buatan pada data sintetis",
           "synth_anticipation": "antisipasi buatan pada data sintetis", "engine": "mesin pengolah data",
           "memory_limit": "batas memori pengolahan data", "spark_master": "klaster Spark",
           "spark_conf": "pengaturan Spark"},
    "en": {"raw_dir": "raw data folder", "interim_dir": "interim data folder", "processed_dir": "processed data folder",
           "synthesize": "synthetic data generation", "start_month": "first month", "end_month": "last month",
           "units": "units analysed", "unit_types": "unit types analysed", "outcomes": "outcomes",
           "estimator": "main method", "est_method": "comparison adjustment", "control_group": "comparison group",
           "covariates": "unit characteristics accounted for", "anticipation": "months of anticipation",
           "base_period": "reference month", "min_e": "first month in figures", "max_e": "last month in figures",
           "inference": "uncertainty method", "biters": "resampling draws", "alp": "significance level",
           "seed": "random seed", "language": "brief language", "min_cell": "smallest count shown",
           "synth_months": "synthetic data months", "synth_scale": "synthetic data scale",
           "synth_pretrend_violation": "built-in trend difference in the synthetic data",
           "synth_anticipation": "built-in anticipation in the synthetic data", "engine": "data engine",
           "memory_limit": "data engine memory limit", "spark_master": "Spark cluster",
           "spark_conf": "Spark settings"},
}
PARAM_VALUES = {
    "id": {"nevertreated": "unit yang tidak pernah menerapkan", "notyettreated": "unit yang belum menerapkan",
           "id": "Bahasa Indonesia", "en": "Inggris", "dr": "gabungan (doubly robust)", "ipw": "pembobotan",
           "reg": "regresi", "varying": "berganti", "universal": "tetap", "if_empty": "bila folder kosong",
           "never": "tidak pernah", "auto": "otomatis", "analytic": "rumus standar", "wild": "wild bootstrap",
           "randomization": "pengacakan", "bootstrap": "bootstrap", "cs": "Callaway–Sant'Anna",
           "sunab": "Sun–Abraham", "twfe": "TWFE", "imputation": "imputasi", "true": "ya", "false": "tidak",
           "True": "ya", "False": "tidak"},
    "en": {"nevertreated": "never-adopting units", "notyettreated": "not-yet-adopting units", "id": "Indonesian",
           "en": "English", "dr": "doubly robust", "ipw": "weighting", "reg": "regression", "varying": "varying",
           "universal": "fixed", "if_empty": "if the folder is empty", "never": "never", "auto": "automatic",
           "analytic": "standard formula", "wild": "wild bootstrap", "randomization": "randomisation",
           "bootstrap": "bootstrap", "cs": "Callaway–Sant'Anna", "sunab": "Sun–Abraham", "twfe": "TWFE",
           "imputation": "imputation", "true": "yes", "false": "no", "True": "yes", "False": "no"},
}
#: Raw data tables (data_quality ``table``) in words.
DATA_TABLES = {
    "id": {"asn": "data pegawai (ASN)", "tickets": "tiket antrean", "skm": "survei kepuasan (SKM)",
           "skp": "penilaian kinerja (SKP)", "training": "pelatihan", "units": "daftar unit",
           "adoption": "jadwal penerapan", "assessment": "asesmen sekolah", "surveillance": "laporan penyakit",
           "population": "penduduk", "attendance": "kehadiran", "health": "laporan kesehatan",
           "schools": "data sekolah", "service_volume": "volume layanan"},
    "en": {"asn": "staff (ASN)", "tickets": "queue tickets", "skm": "satisfaction survey (SKM)",
           "skp": "performance appraisal (SKP)", "training": "training", "units": "unit list",
           "adoption": "adoption schedule", "assessment": "school assessments", "surveillance": "disease reports",
           "population": "population", "attendance": "attendance", "health": "health reports",
           "schools": "school data", "service_volume": "service volume"},
}
#: Result tables in words, for the Sumber angka appendix.
SOURCE_TABLES = {
    "id": {"headline": "perkiraan dampak utama", "pretrend": "uji tren sebelum penerapan",
           "honest_bounds": "analisis sensitivitas tren", "robustness": "pemeriksaan ketahanan dan cara hitung lain",
           "spec_curve": "cara hitung lain", "ikm_unit_quarter": "IKM per unit dan triwulan",
           "wait_by_service_channel": "waktu tunggu per layanan dan kanal", "cohort_sizes": "gelombang penerapan",
           "adoption_schedule": "jadwal penerapan per unit", "run_info": "keterangan data",
           "manifest": "catatan pengolahan (pengaturan)", "skp_predikat_shares": "predikat SKP per tahun",
           "training_coverage": "cakupan pelatihan per jenis unit", "heterogeneity": "dampak per jenis unit",
           "training_channel": "dampak terhadap pelatihan", "data_quality": "mutu data",
           "single_office": "dampak perubahan di satu kantor",
           "single_office_donors": "kantor pembanding per jenis unit",
           "intensity_gradient": "dampak menurut tingkat penggunaan", "uptake_scores": "penggunaan per unit",
           "design": "rancangan penerapan berikutnya", "design_mde": "rancangan penerapan berikutnya",
           "since_previous": "perbandingan dengan analisis sebelumnya"},
    "en": {"headline": "headline effect estimates", "pretrend": "pre-adoption trend test",
           "honest_bounds": "trend sensitivity analysis", "robustness": "robustness checks and other computations",
           "spec_curve": "other computations", "ikm_unit_quarter": "IKM by unit and quarter",
           "wait_by_service_channel": "waiting time by service and channel", "cohort_sizes": "adoption waves",
           "adoption_schedule": "adoption schedule by unit", "run_info": "data summary",
           "manifest": "run record (settings)", "skp_predikat_shares": "SKP ratings by year",
           "training_coverage": "training coverage by unit type", "heterogeneity": "effects by unit type",
           "training_channel": "effect on training", "data_quality": "data quality",
           "single_office": "effect of a change at one office", "single_office_donors": "comparison offices by unit type",
           "intensity_gradient": "effects by level of use", "uptake_scores": "use by unit",
           "design": "design of the next rollout", "design_mde": "design of the next rollout",
           "since_previous": "comparison with the previous analysis"},
}
#: A short glossary at the end of every brief: the technical words it still uses, in plain language.
GLOSSARY = {
    "id": [
        ("Selang kepercayaan", "rentang nilai yang sejalan dengan data; selang 95% berarti cara hitung ini mencakup "
                               "nilai sebenarnya pada 95 dari 100 pengulangan."),
        ("Tidak dapat dibedakan dari nol", "selang kepercayaan mencakup nol: data tidak menyingkirkan kemungkinan "
                                           "bahwa penerapan tidak berdampak."),
        ("Unit pembanding", "unit yang belum atau tidak pernah menerapkan manajemen kinerja pada bulan yang sama."),
        ("Uji tren sebelum penerapan", "memeriksa apakah unit yang menerapkan dan unit pembanding sudah bergerak "
                                       "berbeda sebelum penerapan; bila ya, perbandingannya tidak adil."),
        ("p", "peluang melihat perbedaan sebesar ini bila sebenarnya tidak ada perbedaan; p kecil (di bawah 0,05) "
              "menandakan perbedaan yang nyata."),
        ("Analisis sensitivitas dan M̄", "menguji apakah kesimpulan bertahan bila tren sesudah penerapan boleh "
                                        "berbeda; M̄ = 1 berarti perbedaan itu sebesar perbedaan terbesar sebelum "
                                        "penerapan."),
        ("Cara hitung lain", "perhitungan ulang dengan pembanding, metode atau asumsi lain untuk melihat apakah "
                             "arahnya sama."),
        ("TWFE", "cara hitung lama yang membandingkan semua unit sekaligus; dapat keliru bila unit mulai pada waktu "
                 "berbeda."),
        ("Poin persentase", "selisih dua persentase, misalnya dari 40% ke 46% adalah naik 6 poin persentase."),
        ("Pengambilan ulang per unit", "cara menghitung ketidakpastian yang tetap tepat bila unitnya sedikit."),
    ],
    "en": [
        ("Confidence interval", "the range of values consistent with the data; a 95% interval covers the true value "
                                "in 95 of 100 repetitions."),
        ("Cannot be distinguished from zero", "the interval includes zero: the data do not exclude that adoption had "
                                              "no effect."),
        ("Comparison units", "units that had not (yet) adopted performance management in the same month."),
        ("Pre-adoption trend test", "checks whether adopting and comparison units were already moving differently "
                                    "before adoption; if so, the comparison is not fair."),
        ("p", "the chance of seeing a difference this large if there were none; a small p (below 0.05) signals a "
              "real difference."),
        ("Sensitivity analysis and M̄", "tests whether the conclusion holds when post-adoption trends may differ; "
                                       "M̄ = 1 means as large a difference as the largest one before adoption."),
        ("Other computations", "the effect recomputed with another comparison group, method or assumption, to see "
                               "whether it points the same way."),
        ("TWFE", "an older method comparing all units at once; it can mislead when units start at different times."),
        ("Percentage points", "the difference between two percentages: from 40% to 46% is a rise of 6 percentage "
                              "points."),
        ("Resampling by unit", "a way of computing uncertainty that stays accurate with few units."),
    ],
}
CONTROL_GROUPS = {
    "id": {"nevertreated": "unit yang tidak pernah menerapkan", "notyettreated": "unit yang belum menerapkan"},
    "en": {"nevertreated": "never-adopting units", "notyettreated": "not-yet-adopting units"},
}
HET_DIMENSIONS = {"id": {"unit_type": "jenis unit"}, "en": {"unit_type": "unit type"}}
LIST_AND = {"id": " dan ", "en": " and "}


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)} (got {language!r})")
    return language


_STUDY: ContextVar = ContextVar("study", default=None)


def use_study(study) -> None:
    """Name this study's area in the strings that follow (``{area}``, ``{area_short}``, ``{area_title}``)."""
    _STUDY.set(study)


def area_values(language: str) -> dict[str, str]:
    """The study's area names in ``language`` (default study until :func:`use_study`)."""
    from analysis.study import load  # late: the study module reads files, i18n stays import-light

    n = (_STUDY.get() or load()).names[check_language(language)]
    return {"area": n.area, "area_short": n.short, "area_title": n.title}


def t(language: str, key: str, **values) -> str:
    """The string ``key`` in ``language``, formatted with ``values`` (and the study's area names)."""
    text = STRINGS[check_language(language)][key]
    if "{area" in text:
        values = {**area_values(language), **values}
    return text.format(**values)


def vocab(table: dict[str, dict[str, str]], language: str, value: str) -> str:
    """Translate a vocabulary value; values a vocabulary does not list (names) stay as they are."""
    return table[check_language(language)].get(value, value)


def join_list(items: list[str], language: str) -> str:
    """``a, b dan c`` / ``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + LIST_AND[check_language(language)] + items[-1]
