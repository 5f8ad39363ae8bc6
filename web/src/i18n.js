// French and English: the language comes from the browser (navigator.languages) unless the user
// picked one (kept in localStorage); numbers and dates follow the chosen language's conventions.
import { signal } from './signal.js';

const messages = {
  en: {
    appName: 'EWS energy web server',
    skip: 'Skip to content',
    language: 'Language',
    nav: 'Main navigation',
    navDevices: 'Devices',
    navHealth: 'System',
    navChargers: 'Chargers',
    navEnergy: 'Consumption',
    navLogin: 'Log in',
    logout: 'Log out',
    leds: 'Front panel LEDs',
    ledPower: 'Power', ledRx: 'RX', ledTx: 'TX', ledLink: 'Link', ledAct: 'Act',
    ledOn: 'lit', ledOff: 'off', ledsSimulated: 'simulated LEDs', ledsBoard: 'board LEDs',
    connectionLost: 'Connection to the device lost. Retrying by itself…',
    connectionBack: 'Connection restored.',
    loading: 'Loading…',
    pageLoadFailed: 'This page could not be loaded from the device. Reload to try again.',
    updated: 'Updated {time}',
    // Devices
    devicesTitle: 'Devices',
    linesTitle: 'Lines',
    lineAvailable: 'available',
    lineUnavailable: 'unavailable: {problem}',
    gatewayPort: 'Modbus TCP gateway on port {port}',
    gatewayDisabled: 'Modbus TCP gateway off',
    gatewayProblem: 'Modbus TCP gateway not running: {problem}',
    noDevices: 'No device configured yet.',
    devicesSummary: '{online} of {total} devices online',
    stateOnline: 'online',
    stateAbsent: 'absent',
    stateMisconfigured: 'misconfigured',
    stateFaulted: 'faulted',
    stateWaiting: 'waiting for its first poll',
    lastPoll: 'last poll {time}',
    lastError: 'last error: {error}',
    line: 'line {line}',
    address: 'profile {profile}',
    unconfirmed: 'unconfirmed',
    unconfirmedHelp: 'No published table of the maker confirms this register: the value may be wrong.',
    values: 'Values',
    quantity: 'Quantity',
    value: 'Value',
    deviceBack: 'All devices',
    deviceNotFound: 'No device with the id “{id}”.',
    trendTitle: 'Trend since this page opened',
    trendOf: 'Quantity to plot',
    trendNote: 'Live values sampled by this page; the stored history comes with the history API.',
    // Health
    healthTitle: 'System health',
    version: 'Version',
    model: 'Model',
    modelValue: 'EWS {size} ({size} Modbus addresses or pulse counters)',
    uptime: 'Up for',
    deviceTime: 'Device time',
    timeValid: 'Clock',
    timeOk: 'set',
    timeInvalid: 'not set: the clock lost its time (RTC battery?); set the time',
    rtc: 'Real-time clock',
    rtcBoard: 'on the board',
    rtcSimulated: 'simulated',
    history: 'History database',
    historyOpen: 'open',
    historyClosed: 'not open (see the log)',
    gateway: 'Modbus TCP gateway',
    gatewayOff: 'off',
    portNumber: 'port {port}',
    site: 'Site',
    days: '{n} d', hours: '{n} h', minutes: '{n} min',
    // Chargers & energy
    chargersTitle: 'EV charging stations',
    noChargers: 'No EV charging station configured.',
    energyTitle: 'Consumption',
    energyIntro: 'Meter readings now. Bars per hour, day, month and year come with the history API.',
    energyReadings: 'Meter readings now',
    period: 'Period',
    periodDay: 'Day', periodMonth: 'Month', periodYear: 'Year',
    periodBefore: 'Previous period', periodAfter: 'Next period',
    compare: 'Compare with the period before',
    previousPeriod: 'period before',
    noData: 'no data',
    meter: 'Meter',
    ranking: 'Meters ranked by consumption',
    treeTitle: 'Consumption tree and costs',
    noHistory: 'No consumption recorded yet for this period.',
    dashboardUnavailable: 'Consumption bars, the ranking of meters and costs need the history API (/api/v1/history/totals and /tree), which this device does not serve yet. The meter readings below are live.',
    energyTotal: 'Sum of the electricity meter readings',
    energyTotalNote: 'Every meter counted, sub-meters included: totals per board come with the consumption tree.',
    energyTotalUnconfirmed: 'Some readings come from unconfirmed registers.',
    kindElectricity: 'Electricity', kindWater: 'Water', kindGas: 'Gas', kindOther: 'Other',
    noMeters: 'No meter configured.',
    navAdmin: 'Users',
    adminTitle: 'Users and audit log',
    usersTitle: 'Users',
    userOk: 'codes set by the user',
    userBlocked: 'blocked (too many wrong PINs): unblock with its PUK or reset its codes',
    userPukBlocked: 'PUK blocked: only a reset of its codes gives access again',
    userMustChange: 'must change its codes at the next login',
    pinFailures: '{n} wrong PIN(s)',
    resetCodes: 'Reset the codes',
    resetConfirm: 'Reset the PIN and PUK of {role}? Its sessions end and it must choose new codes at its next login.',
    resetYes: 'Yes, reset',
    cancel: 'Cancel',
    resetDone: 'Codes of {role} reset. Give them these codes (shown once):',
    pinLabel: 'PIN', pukLabel: 'PUK',
    auditTitle: 'Audit log (newest first)',
    auditMore: 'Older entries',
    // Data download
    navData: 'Data',
    dataTitle: 'Download data',
    dataIntro: 'The history of one device as a CSV file for your spreadsheet.',
    dataDevice: 'Device',
    dataQuantities: 'Quantities',
    dataQuantitiesHelp: 'None ticked: every quantity of the device.',
    dataFrom: 'First day',
    dataTo: 'Last day',
    dataResolution: 'Resolution (one row per…)',
    res_minute: 'minute', res_hour: 'hour', res_day: 'day', res_month: 'month', res_year: 'year',
    dataSeparator: 'Spreadsheet style',
    dataSemicolon: 'Semicolon and decimal comma (Excel in French: 1234,5)',
    dataComma: 'Comma and decimal point (Excel in English: 1234.5)',
    dataDownload: 'Download the CSV',
    dataBusy: 'Preparing…',
    dataDone: 'Downloaded {name}.',
    dataDoneFiles: 'Downloaded {name} ({files} files of whole periods joined: this device has no history export by period yet).',
    dataPeriodOrder: 'The last day must not be before the first.',
    dataNoFiles: 'This device serves no history export by period yet: only minute, hour and day rows can be downloaded (from its daily, monthly and yearly files).',
    dataNothing: 'No data recorded for this device in that period.',
    // Login
    loginTitle: 'Log in',
    userType: 'User type',
    roleAdministrator: 'Administrator',
    roleInstaller: 'Installer',
    roleGreenUp: 'greenUp (EV charging)',
    roleUser: 'User',
    pin: 'PIN (5 digits)',
    puk: 'PUK (14 digits)',
    login: 'Log in',
    loggingIn: 'Logging in…',
    forgotPin: 'PIN blocked or forgotten? Unblock with the PUK',
    wrongPin: 'Wrong PIN.',
    blocked: 'This user is blocked after too many wrong PINs. Unblock it with its PUK.',
    tooMany: 'Too many attempts. Wait a minute and try again.',
    pinFormat: 'The PIN has exactly 5 digits.',
    pukFormat: 'The PUK has exactly 14 digits (5 + 4 + 5).',
    pinsDiffer: 'The two new PINs differ.',
    loginUnavailable: 'Login is not available on this device yet: it does not serve the session API (/api/v1/session). The pages below are open to anyone on the network until it does.',
    loginUnavailableShort: 'Login not available on this device yet',
    openPages: 'Open the live pages',
    serverError: 'The device answered: {message}',
    unblockTitle: 'Unblock with the PUK',
    unblock: 'Unblock and set the new PIN',
    unblocked: 'Unblocked. Log in with the new PIN.',
    wrongPuk: 'Wrong PUK.',
    pukBlocked: 'The PUK is blocked too: only an administrator can reset this user.',
    backToLogin: 'Back to log in',
    newPin: 'New PIN (5 digits)',
    newPinAgain: 'New PIN again',
    currentPin: 'Current PIN',
    changeTitle: 'Change your codes',
    changeForced: 'This user still has its factory codes (or codes set by an administrator). Choose your own before going on.',
    newPuk: 'New PUK (14 digits)',
    newPukHelp: 'A PUK chosen at random for you. Write it down or print it: it unblocks the PIN and is not shown again.',
    change: 'Save the new codes',
    changed: 'Codes changed.',
    keepPuk: 'Your new PUK — write it down or print it now, it is not shown again:',
    print: 'Print',
    continue: 'Continue',
    factoryCode: 'This is a publicly known factory code: choose another.',
    samePin: 'The new PIN must differ from the current one.',
    signedInAs: 'Logged in as {role}',
  },
  fr: {
    appName: 'Serveur web énergie EWS',
    skip: 'Aller au contenu',
    language: 'Langue',
    nav: 'Navigation principale',
    navDevices: 'Appareils',
    navHealth: 'Système',
    navChargers: 'Bornes',
    navEnergy: 'Consommation',
    navLogin: 'Connexion',
    logout: 'Se déconnecter',
    leds: 'Voyants de la face avant',
    ledPower: 'Power', ledRx: 'RX', ledTx: 'TX', ledLink: 'Link', ledAct: 'Act',
    ledOn: 'allumé', ledOff: 'éteint', ledsSimulated: 'voyants simulés', ledsBoard: 'voyants de la carte',
    connectionLost: 'Connexion avec l’appareil perdue. Nouvelle tentative automatique…',
    connectionBack: 'Connexion rétablie.',
    loading: 'Chargement…',
    pageLoadFailed: 'Cette page n’a pas pu être chargée depuis l’appareil. Rechargez pour réessayer.',
    updated: 'Mis à jour à {time}',
    devicesTitle: 'Appareils',
    linesTitle: 'Lignes',
    lineAvailable: 'disponible',
    lineUnavailable: 'indisponible : {problem}',
    gatewayPort: 'Passerelle Modbus TCP sur le port {port}',
    gatewayDisabled: 'Passerelle Modbus TCP désactivée',
    gatewayProblem: 'Passerelle Modbus TCP arrêtée : {problem}',
    noDevices: 'Aucun appareil configuré pour l’instant.',
    devicesSummary: '{online} appareils sur {total} en ligne',
    stateOnline: 'en ligne',
    stateAbsent: 'absent',
    stateMisconfigured: 'mal configuré',
    stateFaulted: 'en défaut',
    stateWaiting: 'en attente de sa première interrogation',
    lastPoll: 'dernière interrogation {time}',
    lastError: 'dernière erreur : {error}',
    line: 'ligne {line}',
    address: 'profil {profile}',
    unconfirmed: 'non confirmé',
    unconfirmedHelp: 'Aucune table publiée du fabricant ne confirme ce registre : la valeur peut être fausse.',
    values: 'Valeurs',
    quantity: 'Grandeur',
    value: 'Valeur',
    deviceBack: 'Tous les appareils',
    deviceNotFound: 'Aucun appareil avec l’identifiant « {id} ».',
    trendTitle: 'Évolution depuis l’ouverture de la page',
    trendOf: 'Grandeur à tracer',
    trendNote: 'Valeurs instantanées relevées par cette page ; l’historique enregistré viendra avec l’API d’historique.',
    healthTitle: 'État du système',
    version: 'Version',
    model: 'Modèle',
    modelValue: 'EWS {size} ({size} adresses Modbus ou compteurs d’impulsions)',
    uptime: 'En marche depuis',
    deviceTime: 'Heure de l’appareil',
    timeValid: 'Horloge',
    timeOk: 'à l’heure',
    timeInvalid: 'non réglée : l’horloge a perdu l’heure (pile de la RTC ?) ; réglez l’heure',
    rtc: 'Horloge temps réel',
    rtcBoard: 'sur la carte',
    rtcSimulated: 'simulée',
    history: 'Base d’historique',
    historyOpen: 'ouverte',
    historyClosed: 'non ouverte (voir le journal)',
    gateway: 'Passerelle Modbus TCP',
    gatewayOff: 'désactivée',
    portNumber: 'port {port}',
    site: 'Site',
    days: '{n} j', hours: '{n} h', minutes: '{n} min',
    navAdmin: 'Utilisateurs',
    adminTitle: 'Utilisateurs et journal d’audit',
    usersTitle: 'Utilisateurs',
    userOk: 'codes choisis par l’utilisateur',
    userBlocked: 'bloqué (trop de PIN faux) : débloquer avec son PUK ou réinitialiser ses codes',
    userPukBlocked: 'PUK bloqué : seule une réinitialisation de ses codes rend l’accès',
    userMustChange: 'doit changer ses codes à la prochaine connexion',
    pinFailures: '{n} PIN faux',
    resetCodes: 'Réinitialiser les codes',
    resetConfirm: 'Réinitialiser le PIN et le PUK de {role} ? Ses sessions se terminent et il devra choisir de nouveaux codes à sa prochaine connexion.',
    resetYes: 'Oui, réinitialiser',
    cancel: 'Annuler',
    resetDone: 'Codes de {role} réinitialisés. Donnez-lui ces codes (affichés une seule fois) :',
    pinLabel: 'PIN', pukLabel: 'PUK',
    auditTitle: 'Journal d’audit (plus récent en premier)',
    auditMore: 'Entrées plus anciennes',
    navData: 'Données',
    dataTitle: 'Télécharger les données',
    dataIntro: 'L’historique d’un appareil en fichier CSV pour votre tableur.',
    dataDevice: 'Appareil',
    dataQuantities: 'Grandeurs',
    dataQuantitiesHelp: 'Aucune cochée : toutes les grandeurs de l’appareil.',
    dataFrom: 'Premier jour',
    dataTo: 'Dernier jour',
    dataResolution: 'Résolution (une ligne par…)',
    res_minute: 'minute', res_hour: 'heure', res_day: 'jour', res_month: 'mois', res_year: 'année',
    dataSeparator: 'Format du tableur',
    dataSemicolon: 'Point-virgule et virgule décimale (Excel en français : 1234,5)',
    dataComma: 'Virgule et point décimal (Excel en anglais : 1234.5)',
    dataDownload: 'Télécharger le CSV',
    dataBusy: 'Préparation…',
    dataDone: '{name} téléchargé.',
    dataDoneFiles: '{name} téléchargé ({files} fichiers de périodes entières réunis : cet appareil n’exporte pas encore l’historique par période).',
    dataPeriodOrder: 'Le dernier jour ne peut pas précéder le premier.',
    dataNoFiles: 'Cet appareil n’exporte pas encore l’historique par période : seules les lignes par minute, heure et jour se téléchargent (depuis ses fichiers journaliers, mensuels et annuels).',
    dataNothing: 'Aucune donnée enregistrée pour cet appareil sur cette période.',
    chargersTitle: 'Bornes de recharge',
    noChargers: 'Aucune borne de recharge configurée.',
    energyTitle: 'Consommation',
    energyIntro: 'Index des compteurs maintenant. Les barres par heure, jour, mois et année viendront avec l’API d’historique.',
    energyReadings: 'Index des compteurs maintenant',
    period: 'Période',
    periodDay: 'Jour', periodMonth: 'Mois', periodYear: 'Année',
    periodBefore: 'Période précédente', periodAfter: 'Période suivante',
    compare: 'Comparer avec la période précédente',
    previousPeriod: 'période précédente',
    noData: 'pas de données',
    meter: 'Compteur',
    ranking: 'Compteurs classés par consommation',
    treeTitle: 'Arbre de consommation et coûts',
    noHistory: 'Aucune consommation enregistrée pour cette période.',
    dashboardUnavailable: 'Les barres de consommation, le classement des compteurs et les coûts demandent l’API d’historique (/api/v1/history/totals et /tree), que cet appareil ne sert pas encore. Les index ci-dessous sont en direct.',
    energyTotal: 'Somme des index des compteurs d’électricité',
    energyTotalNote: 'Tous les compteurs comptés, sous-compteurs compris : les totaux par tableau viendront avec l’arbre de consommation.',
    energyTotalUnconfirmed: 'Certains index viennent de registres non confirmés.',
    kindElectricity: 'Électricité', kindWater: 'Eau', kindGas: 'Gaz', kindOther: 'Autre',
    noMeters: 'Aucun compteur configuré.',
    loginTitle: 'Connexion',
    userType: 'Type d’utilisateur',
    roleAdministrator: 'Administrateur',
    roleInstaller: 'Installateur',
    roleGreenUp: 'greenUp (recharge VE)',
    roleUser: 'Utilisateur',
    pin: 'Code PIN (5 chiffres)',
    puk: 'Code PUK (14 chiffres)',
    login: 'Se connecter',
    loggingIn: 'Connexion…',
    forgotPin: 'PIN bloqué ou oublié ? Débloquer avec le PUK',
    wrongPin: 'PIN incorrect.',
    blocked: 'Cet utilisateur est bloqué après trop de PIN incorrects. Débloquez-le avec son PUK.',
    tooMany: 'Trop de tentatives. Attendez une minute et réessayez.',
    pinFormat: 'Le PIN compte exactement 5 chiffres.',
    pukFormat: 'Le PUK compte exactement 14 chiffres (5 + 4 + 5).',
    pinsDiffer: 'Les deux nouveaux PIN diffèrent.',
    loginUnavailable: 'La connexion n’est pas encore disponible sur cet appareil : il ne sert pas l’API de session (/api/v1/session). En attendant, les pages ci-dessous sont ouvertes à tous sur le réseau.',
    loginUnavailableShort: 'Connexion pas encore disponible sur cet appareil',
    openPages: 'Ouvrir les pages en direct',
    serverError: 'L’appareil a répondu : {message}',
    unblockTitle: 'Débloquer avec le PUK',
    unblock: 'Débloquer et choisir le nouveau PIN',
    unblocked: 'Débloqué. Connectez-vous avec le nouveau PIN.',
    wrongPuk: 'PUK incorrect.',
    pukBlocked: 'Le PUK est bloqué lui aussi : seul un administrateur peut réinitialiser cet utilisateur.',
    backToLogin: 'Retour à la connexion',
    newPin: 'Nouveau PIN (5 chiffres)',
    newPinAgain: 'Nouveau PIN, à nouveau',
    currentPin: 'PIN actuel',
    changeTitle: 'Changez vos codes',
    changeForced: 'Cet utilisateur a encore ses codes d’usine (ou des codes fixés par un administrateur). Choisissez les vôtres avant de continuer.',
    newPuk: 'Nouveau PUK (14 chiffres)',
    newPukHelp: 'Un PUK tiré au hasard pour vous. Notez-le ou imprimez-le : il débloque le PIN et ne sera plus affiché.',
    change: 'Enregistrer les nouveaux codes',
    changed: 'Codes changés.',
    keepPuk: 'Votre nouveau PUK — notez-le ou imprimez-le maintenant, il ne sera plus affiché :',
    print: 'Imprimer',
    continue: 'Continuer',
    factoryCode: 'C’est un code d’usine connu de tous : choisissez-en un autre.',
    samePin: 'Le nouveau PIN doit différer de l’actuel.',
    signedInAs: 'Connecté en tant que {role}',
  },
};

export const languages = [['en', 'English'], ['fr', 'Français']];

function initialLanguage() {
  try {
    const saved = localStorage.getItem('ews.lang');
    if (saved in messages) return saved;
  } catch (e) { /* storage disabled */ }
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base in messages) return base;
  }
  return 'en';
}

export const lang = signal(initialLanguage());

export function setLanguage(code) {
  try { localStorage.setItem('ews.lang', code); } catch (e) { /* storage disabled */ }
  lang.set(code);
}

// The BCP 47 locale for Intl: fr-FR gives "1 234,5" and "07/12/2026 14:05".
export function locale() {
  if (lang.value === 'fr') return 'fr-FR';
  const browser = (navigator.languages || []).find((tag) => tag.toLowerCase().startsWith('en'));
  return browser || 'en-GB';
}

export function t(key, params) {
  let text = messages[lang.value][key] ?? messages.en[key] ?? key;
  if (params) {
    for (const [name, value] of Object.entries(params)) text = text.split(`{${name}}`).join(value);
  }
  return text;
}

export function formatNumber(value, maximumFractionDigits) {
  const digits = maximumFractionDigits ?? (Math.abs(value) >= 1000 ? 1 : Math.abs(value) >= 10 ? 2 : 3);
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

// Energy in kWh or MWh with sensible rounding; other units as they come.
export function formatQuantity(value, unit) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  let v = value;
  let u = unit || '';
  if (u === 'Wh') {
    if (Math.abs(v) >= 1e6) { v /= 1e6; u = 'MWh'; } else { v /= 1e3; u = 'kWh'; }
  } else if (u === 'kWh' && Math.abs(v) >= 1e4) { v /= 1e3; u = 'MWh'; }
  const text = formatNumber(v);
  return u ? `${text}\u00a0${u}` : text;
}

export function formatDateTime(iso) {
  const date = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(locale(), {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    timeZoneName: 'short',
  }).format(date);
}

export function formatTime(date) {
  return new Intl.DateTimeFormat(locale(), {
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).format(date);
}

export function formatDuration(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return [d ? t('days', { n: d }) : '', h || d ? t('hours', { n: h }) : '', t('minutes', { n: m })]
    .filter(Boolean).join(' ');
}
