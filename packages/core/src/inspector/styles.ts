/** The inspector's stylesheet: system fonts, light and dark, tables that line numbers up. */
export const STYLES = `
:root{color-scheme:light dark;--bg:#f6f7f5;--panel:#fff;--ink:#1d2521;--muted:#5e6b64;--line:#dfe4e0;
--accent:#2f6f4f;--good:#2e8b57;--fair:#c98a12;--poor:#c2413b;--track:#e7ebe8;--chip:#eef2ef}
@media (prefers-color-scheme:dark){:root{--bg:#121614;--panel:#1a201d;--ink:#e4ebe6;--muted:#94a39b;
--line:#2c3531;--accent:#6fc39a;--track:#2a322e;--chip:#232b27}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1280px;margin:0 auto;padding:20px 24px 40px}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:12px 20px;margin-bottom:18px}
header.top h1{font-size:20px;margin:0;letter-spacing:.2px}
header.top h1 span{color:var(--accent)}
.meta{color:var(--muted);font-size:13px}
.actions{margin-left:auto;display:flex;gap:8px;align-items:center}
a{color:var(--accent)}
.linkbtn,button{font:inherit;font-size:13px;border:1px solid var(--line);background:var(--panel);color:var(--ink);
border-radius:6px;padding:4px 10px;cursor:pointer;text-decoration:none;display:inline-block}
button:hover,.linkbtn:hover{border-color:var(--accent)}
button.danger{color:var(--poor)}
button.danger:hover{border-color:var(--poor)}
form{display:inline;margin:0}
.flash{border-radius:8px;padding:10px 14px;margin-bottom:16px;background:var(--chip);border-left:4px solid var(--accent)}
.flash.error{border-left-color:var(--poor)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(112px,1fr));gap:10px;margin-bottom:22px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:10px 14px}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.5px}
.card .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
section{background:var(--panel);border:1px solid var(--line);border-radius:10px;margin-bottom:18px;overflow:hidden}
section h2{font-size:15px;margin:0;padding:12px 14px;border-bottom:1px solid var(--line);display:flex;gap:8px;align-items:baseline}
section h2 small{color:var(--muted);font-weight:400}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:8px 10px;border-bottom:1px solid var(--line);text-align:right;vertical-align:top;white-space:nowrap}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.4px}
tr:last-child td{border-bottom:0}
td{font-variant-numeric:tabular-nums}
th.name,td.name,th.why,td.why{text-align:left}
td.name code{font-size:13px;font-weight:600}
td.why{white-space:normal;min-width:220px;max-width:360px;font-size:12.5px;line-height:1.35}
td.why ul{list-style:none;margin:0;padding:0}
td.why li{margin:0 0 4px}
td.why li span{color:var(--muted)}
.chip{display:inline-block;background:var(--chip);border-radius:4px;padding:0 5px;font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.chip.bypass{color:var(--fair)}
.chip.error{color:var(--poor)}
.none{color:var(--muted)}
.rate{display:flex;align-items:center;gap:8px;justify-content:flex-end}
.bar{width:72px;height:8px;border-radius:4px;background:var(--track);overflow:hidden}
.bar span{display:block;height:100%;border-radius:4px}
.bar .good{background:var(--good)}.bar .fair{background:var(--fair)}.bar .poor{background:var(--poor)}
.rate b{min-width:40px;font-weight:600}
.empty{padding:16px 14px;color:var(--muted)}
.tools{display:flex;flex-wrap:wrap;gap:18px;padding:14px}
.tools label{color:var(--muted);margin-right:6px}
input[type=text],input[type=password]{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--ink);min-width:220px}
footer{color:var(--muted);font-size:12px;margin-top:8px}
.login{max-width:380px;margin:12vh auto;background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:24px}
.login h1{font-size:20px;margin:0 0 6px}
.login h1 span{color:var(--accent)}
.login p{color:var(--muted);margin:0 0 16px}
.login input{width:100%;margin-bottom:12px}
.login button{width:100%;padding:8px}
`;
